"""The executions pages: every Step Functions execution, and one execution drawn as its state
machine's graph with the path taken and each state's input and output (GetExecutionHistory).

The graph is the definition's top-level states in the order a walk from `StartAt` reaches them,
each with its transitions (`Next`, Choice rules and `Default`, `Catch`); the states entered
and the transitions taken are marked. `drawing` lays it out for an inline SVG: one row per
step of that walk. States inside a Parallel or Map state are not drawn."""

from __future__ import annotations

import json
from typing import Any

from localcloud.core.pagination import all_items

from .source import Source, epoch


def executions(source: Source) -> list[dict[str, Any]]:
    """Every execution of every state machine, newest first."""
    sfn = source.aws("stepfunctions")
    found = []
    for machine in all_items(sfn, "list_state_machines", "stateMachines"):
        found += all_items(sfn, "list_executions", "executions",
                           stateMachineArn=machine["stateMachineArn"])
    return sorted(found, key=lambda e: epoch(e["startDate"]), reverse=True)


def history(source: Source, arn: str) -> list[dict[str, Any]]:
    return all_items(source.aws("stepfunctions"), "get_execution_history", "events",
                     executionArn=arn)


def transitions(state: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, next state) of every way out of a state."""
    found = [("next", state["Next"])] if state.get("Next") else []
    found += [(f"choice {i + 1}", rule["Next"]) for i, rule in enumerate(state.get("Choices", []))
              if rule.get("Next")]
    if state.get("Default"):
        found.append(("default", state["Default"]))
    found += [(f"catch {', '.join(c.get('ErrorEquals', []))}", c["Next"])
              for c in state.get("Catch", []) if c.get("Next")]
    return found


def walk_order(definition: dict[str, Any]) -> list[str]:
    """The states in the order a breadth-first walk from StartAt reaches them, then any
    unreachable ones."""
    states = definition.get("States", {})
    order, queue = [], [definition.get("StartAt")]
    while queue:
        name = queue.pop(0)
        if name in states and name not in order:
            order.append(name)
            queue += [target for _, target in transitions(states[name])]
    return order + [name for name in states if name not in order]


def visits(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each state entered, in order: name, type, entered/exited times, input, output."""
    path: list[dict[str, Any]] = []
    for event in events:
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered:
            path.append({"name": entered["name"], "type": event["type"],
                         "entered": event["timestamp"], "input": entered.get("input"),
                         "exited": None, "output": None})
        elif exited:
            visit = next((v for v in reversed(path) if v["name"] == exited["name"]
                          and v["exited"] is None), None)
            if visit is not None:
                visit.update(exited=event["timestamp"], output=exited.get("output"))
    return path


def graph(definition: dict[str, Any], path: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The states to draw: index, name, type, transitions (each marked taken or not),
    visits."""
    states = definition.get("States", {})
    taken = {(a["name"], b["name"]) for a, b in zip(path, path[1:])}
    return [{"index": index, "name": name, "type": states[name].get("Type", ""),
             "visits": [v for v in path if v["name"] == name],
             "transitions": [{"label": label, "to": target, "taken": (name, target) in taken}
                             for label, target in transitions(states[name])]}
            for index, name in enumerate(walk_order(definition))]


BOX_WIDTH, BOX_HEIGHT, COLUMN_GAP, ROW_GAP = 180, 34, 24, 56


def drawing(definition: dict[str, Any], states: list[dict[str, Any]]) -> dict[str, Any]:
    """Boxes (x, y, state) and edges (x1, y1, x2, y2, taken) of the graph, each state on the
    row of its distance from StartAt, and the picture's size."""
    depth = {definition.get("StartAt"): 0}
    for name in walk_order(definition):  # breadth-first: a state's depth is known before
        for _, target in transitions(definition["States"][name]):
            depth.setdefault(target, depth.get(name, 0) + 1)
    unreached = max(depth.values(), default=0) + 1
    rows: dict[int, list[dict[str, Any]]] = {}
    for state in states:
        rows.setdefault(depth.get(state["name"], unreached), []).append(state)
    width = max(len(row) for row in rows.values()) * (BOX_WIDTH + COLUMN_GAP) + COLUMN_GAP
    boxes = {}
    for index, row in enumerate(sorted(rows)):
        offset = (width - len(rows[row]) * (BOX_WIDTH + COLUMN_GAP) + COLUMN_GAP) / 2
        for column, state in enumerate(rows[row]):
            boxes[state["name"]] = {"x": offset + column * (BOX_WIDTH + COLUMN_GAP),
                                    "y": ROW_GAP / 2 + index * (BOX_HEIGHT + ROW_GAP),
                                    "state": state}
    edges = []
    for state in states:
        start = boxes[state["name"]]
        for transition in state["transitions"]:
            end = boxes.get(transition["to"])
            if end is not None:
                edges.append({"x1": start["x"] + BOX_WIDTH / 2, "y1": start["y"] + BOX_HEIGHT,
                              "x2": end["x"] + BOX_WIDTH / 2, "y2": end["y"],
                              "taken": transition["taken"]})
    return {"boxes": list(boxes.values()), "edges": edges, "width": width,
            "height": len(rows) * (BOX_HEIGHT + ROW_GAP), "box_width": BOX_WIDTH,
            "box_height": BOX_HEIGHT}


def execution(source: Source, arn: str) -> dict[str, Any]:
    sfn = source.aws("stepfunctions")
    described = sfn.describe_execution(executionArn=arn)
    definition = json.loads(sfn.describe_state_machine(
        stateMachineArn=described["stateMachineArn"])["definition"])
    events = history(source, arn)
    path = visits(events)
    states = graph(definition, path)
    return {"execution": described, "path": path, "states": states,
            "drawing": drawing(definition, states), "events": events}
