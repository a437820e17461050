"""The console's pure parts: a state machine's graph with the path taken, the resources tree
by component, and the static files it serves (no cloud needed)."""

from localcloud.console import render
from localcloud.console.executions import BOX_HEIGHT, drawing, graph, visits, walk_order
from localcloud.console.resources import by_component

DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Refund": {"Type": "Task", "Next": "Failed"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True,
                                                 "Next": "Charge"}], "Default": "Failed"},
        "Charge": {"Type": "Task", "Next": "Done",
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}]},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail"},
        "Orphan": {"Type": "Pass", "End": True},
    },
}


def _history(*names):
    """GetExecutionHistory events entering and leaving each state in turn."""
    events = []
    for index, name in enumerate(names):
        events.append({"type": "StateEntered", "timestamp": index,
                       "stateEnteredEventDetails": {"name": name, "input": f'{{"in": {index}}}'}})
        events.append({"type": "StateExited", "timestamp": index + 0.5,
                       "stateExitedEventDetails": {"name": name, "output": f'{{"out": {index}}}'}})
    return events


def test_states_are_drawn_in_the_order_a_walk_from_start_reaches_them():
    assert walk_order(DEFINITION) == ["Check", "Charge", "Failed", "Done", "Refund", "Orphan"]


def test_the_path_taken_marks_states_and_transitions_with_their_input_and_output():
    path = visits(_history("Check", "Charge", "Refund", "Failed"))
    states = {s["name"]: s for s in graph(DEFINITION, path)}

    assert [v["name"] for v in path] == ["Check", "Charge", "Refund", "Failed"]
    assert states["Charge"]["visits"][0]["input"] == '{"in": 1}'
    assert states["Charge"]["visits"][0]["output"] == '{"out": 1}'
    assert not states["Done"]["visits"]
    taken = {(name, t["to"]) for name, s in states.items() for t in s["transitions"]
             if t["taken"]}
    assert taken == {("Check", "Charge"), ("Charge", "Refund"), ("Refund", "Failed")}
    labels = [t["label"] for t in states["Check"]["transitions"]]
    assert labels == ["choice 1", "default"]
    assert states["Charge"]["transitions"][1]["label"] == "catch States.ALL"


def test_the_drawing_puts_each_state_on_the_row_of_its_distance_from_start():
    states = graph(DEFINITION, visits(_history("Check", "Charge", "Done")))
    picture = drawing(DEFINITION, states)
    rows = {box["state"]["name"]: box["y"] for box in picture["boxes"]}
    assert rows["Check"] < rows["Charge"] == rows["Failed"] < rows["Done"] == rows["Refund"]
    assert rows["Orphan"] > rows["Done"]  # unreachable: last
    assert all(box["x"] >= 0 and box["x"] + picture["box_width"] <= picture["width"]
               for box in picture["boxes"])
    assert max(rows.values()) + BOX_HEIGHT <= picture["height"]
    taken = [(e["y1"] < e["y2"]) for e in picture["edges"] if e["taken"]]
    assert taken == [True, True]  # Check → Charge → Done, drawn downwards
    assert len(picture["edges"]) == sum(len(s["transitions"]) for s in states)


def test_a_state_entered_twice_keeps_both_visits():
    path = visits(_history("Check", "Check"))
    assert [v["output"] for v in path] == ['{"out": 0}', '{"out": 1}']


def test_resources_are_grouped_under_their_components():
    stack = "urn:pulumi:local::p::pulumi:pulumi:Stack::p-local"
    queue = "urn:pulumi:local::p::p:components:OrderQueue::order-queue"
    resources = [
        {"urn": stack, "type": "pulumi:pulumi:Stack", "name": "p-local", "parent": "", "id": ""},
        {"urn": "urn:provider", "type": "pulumi:providers:aws", "name": "default",
         "parent": stack, "id": "default-provider"},
        {"urn": "urn:lonely", "type": "aws:sns/topic:Topic", "name": "alone", "parent": stack,
         "id": "arn:topic"},
        {"urn": queue, "type": "p:components:OrderQueue", "name": "order-queue",
         "parent": stack, "id": ""},
        {"urn": "urn:q", "type": "aws:sqs/queue:Queue", "name": "order-queue", "parent": queue,
         "id": "http://q"},
        {"urn": "urn:fn", "type": "p:components:PythonFunction", "name": "process",
         "parent": queue, "id": ""},
        {"urn": "urn:lambda", "type": "aws:lambda/function:Function", "name": "process",
         "parent": "urn:fn", "id": "process"},
    ]
    roots = by_component(resources)
    assert [(r.name, r.is_component) for r in roots] == [("order-queue", True),
                                                         ("alone", False)]
    component = roots[0]
    assert component.count == 2
    assert [c.name for c in component.children] == ["order-queue", "process"]
    assert component.children[1].children[0].id == "process"


def test_static_files_stay_inside_their_folder():
    script = render.static("console.js")
    assert script is not None and script.status == 200
    assert ("Content-Type", "text/javascript") in script.headers
    assert render.static("../routes.py") is None
    assert render.static("missing.js") is None
