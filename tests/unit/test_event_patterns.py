"""Every EventBridge rule of the program has a well-formed event pattern (or a schedule).

EventBridge accepts some malformed patterns at deploy time and then never matches (a bare
string instead of a list, a numeric bound written as a string), so the shape is checked here:
valid JSON, known top-level fields, lists of values at the leaves, and content filters with
the operands AWS documents (numeric matchers with real numbers, ranges low to high).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
# Fields of the event envelope a pattern may match on (`detail` holds the event's content).
ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region",
            "resources", "detail", "$or"}
NUMERIC_OPERATORS = {"=", "<", "<=", ">", ">="}
LOWER_BOUNDS, UPPER_BOUNDS = {">", ">="}, {"<", "<="}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, float))


def _numeric_problems(operands: Any, where: str) -> list[str]:
    if not isinstance(operands, list) or len(operands) not in (2, 4):
        return [f"{where}: numeric takes [op, number] or [op, number, op, number]"]
    problems = []
    pairs = list(zip(operands[::2], operands[1::2]))
    for op, number in pairs:
        if op not in NUMERIC_OPERATORS:
            problems.append(f"{where}: unknown numeric operator {op!r}")
        if not _is_number(number):
            problems.append(f"{where}: numeric operand {number!r} is not a JSON number")
    if len(pairs) == 2 and not problems:
        (low_op, low), (high_op, high) = pairs
        if low_op not in LOWER_BOUNDS or high_op not in UPPER_BOUNDS or not low < high:
            problems.append(f"{where}: a numeric range goes from a lower bound (> or >=) to a "
                            f"greater upper bound (< or <=), got {operands}")
    return problems


def _string_filter(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and list(value) == [
        "equals-ignore-case"] and isinstance(value["equals-ignore-case"], str))


def _anything_but_problems(value: Any, where: str) -> list[str]:
    if _is_scalar(value):
        return []
    if isinstance(value, list) and value and (all(isinstance(v, str) for v in value)
                                              or all(_is_number(v) for v in value)):
        return []
    if isinstance(value, dict) and len(value) == 1:
        key, operand = next(iter(value.items()))
        if key in ("prefix", "suffix") and isinstance(operand, str):
            return []
        if key in ("equals-ignore-case", "wildcard") and (
                isinstance(operand, str) or (isinstance(operand, list) and operand
                                             and all(isinstance(v, str) for v in operand))):
            return []
    return [f"{where}: anything-but takes a value, a list of strings or numbers, or one of "
            f"prefix/suffix/equals-ignore-case/wildcard, got {value!r}"]


def _matcher_problems(matcher: Any, where: str) -> list[str]:
    """One element of a leaf list: a value or a one-key content filter."""
    if _is_scalar(matcher):
        return []
    if not isinstance(matcher, dict) or len(matcher) != 1:
        return [f"{where}: {matcher!r} is neither a value nor a one-key content filter"]
    name, operand = next(iter(matcher.items()))
    if name == "numeric":
        return _numeric_problems(operand, where)
    if name in ("prefix", "suffix"):
        return [] if _string_filter(operand) else [f"{where}: {name} takes a string"]
    if name == "anything-but":
        return _anything_but_problems(operand, where)
    if name == "exists":
        return [] if isinstance(operand, bool) else [f"{where}: exists takes true or false"]
    if name in ("cidr", "equals-ignore-case", "wildcard"):
        return [] if isinstance(operand, str) else [f"{where}: {name} takes a string"]
    return [f"{where}: unknown content filter {name!r}"]


def _node_problems(node: Any, where: str) -> list[str]:
    """A pattern object: each field maps to a nested object or a list of matchers."""
    if not isinstance(node, dict) or not node:
        return [f"{where}: expected a non-empty object, got {node!r}"]
    problems = []
    for key, value in node.items():
        path = f"{where}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                problems.append(f"{path}: $or takes a list of at least two patterns")
            else:
                for i, alternative in enumerate(value):
                    problems += _node_problems(alternative, f"{path}[{i}]")
        elif isinstance(value, dict):
            problems += _node_problems(value, path)
        elif isinstance(value, list) and value:
            for i, matcher in enumerate(value):
                problems += _matcher_problems(matcher, f"{path}[{i}]")
        else:
            problems.append(f"{path}: values to match must be a non-empty list, got {value!r}")
    return problems


def pattern_problems(text: str) -> list[str]:
    try:
        pattern = json.loads(text)
    except ValueError as error:
        return [f"not JSON: {error}"]
    if not isinstance(pattern, dict):
        return ["a pattern is a JSON object"]
    problems = [f"unknown top-level field {k!r} (event fields: {', '.join(sorted(ENVELOPE))})"
                for k in pattern if k not in ENVELOPE]
    if "detail" in pattern and not isinstance(pattern["detail"], dict):
        problems.append("detail must be an object of fields")
    return problems + _node_problems(pattern, "pattern")


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_every_rule_has_a_well_formed_pattern_or_a_schedule(graphs, stack):
    rules = graphs[stack].of_type(EVENT_RULE)
    assert any("eventPattern" in r.inputs for r in rules), "no event patterns in the graph"
    problems = {}
    for rule in rules:
        pattern, schedule = rule.inputs.get("eventPattern"), rule.inputs.get("scheduleExpression")
        if not pattern and not schedule:
            problems[rule.name] = ["neither eventPattern nor scheduleExpression"]
        elif pattern:
            problems[rule.name] = pattern_problems(pattern)
    problems = {name: found for name, found in problems.items() if found}
    assert not problems, json.dumps(problems, indent=2)


@pytest.mark.parametrize("pattern", [
    '{"source": ["order.service"], "detail": {"amount": [{"numeric": [">", 1000]}]}}',
    '{"detail": {"amount": [{"numeric": [">=", 0, "<", 99.5]}], "status": [{"exists": true}]}}',
    '{"detail": {"email": [{"suffix": "@example.com"}], "state": [{"anything-but": ["A", "B"]}]}}',
    '{"$or": [{"source": ["a"]}, {"detail-type": [{"prefix": "Order"}]}]}',
])
def test_well_formed_patterns_pass(pattern):
    assert pattern_problems(pattern) == []


@pytest.mark.parametrize("pattern, problem", [
    ('{"source": "order.service"}', "non-empty list"),
    ('{"detail": {"amount": [{"numeric": [">", "1000"]}]}}', "not a JSON number"),
    ('{"detail": {"amount": [{"numeric": ["=>", 1000]}]}}', "unknown numeric operator"),
    ('{"detail": {"amount": [{"numeric": ["<", 10, ">", 1]}]}}', "numeric range"),
    ('{"detail": {"amount": [{"numeric": [">", 1, "<"]}]}}', "numeric takes"),
    ('{"detailType": ["Order Placed"]}', "unknown top-level field"),
    ('{"detail": {"kind": [{"startsWith": "a"}]}}', "unknown content filter"),
    ('{"detail": {"amount": []}}', "non-empty list"),
    ('{"source": ["a"],}', "not JSON"),
])
def test_malformed_patterns_fail(pattern, problem):
    problems = pattern_problems(pattern)
    assert any(problem in p for p in problems), problems
