"""What EventBridge sends to a target: the whole event, or the target's `Input`, `InputPath` or
`InputTransformer` applied to it (simple JSONPaths, as the program's targets use them)."""

from __future__ import annotations

import json
import re
from typing import Any

from localcloud.core.delivery import DeliveryFailure

_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def json_path(data: Any, path: str) -> Any:
    """The value at a simple JSONPath (`$`, `$.a.b`, `$.a[0]`, `$['a-b']`), or None."""
    if not path.startswith("$"):
        raise ValueError(f"unsupported JSONPath {path!r}")
    position, current = 1, data
    while position < len(path):
        step = _PATH_STEP.match(path, position)
        if step is None:
            raise ValueError(f"unsupported JSONPath {path!r}")
        name, index, quoted, double_quoted = step.groups()
        if index is not None:
            current = current[int(index)] if (isinstance(current, list)
                                               and int(index) < len(current)) else None
        else:
            key = next(k for k in (name, quoted, double_quoted) if k is not None)
            current = current.get(key) if isinstance(current, dict) else None
        if current is None:
            return None
        position = step.end()
    return current


def _inside_string(template: str, end: int) -> bool:
    """Whether position `end` of a JSON template lies inside a string literal."""
    inside = escaped = False
    for char in template[:end]:
        if escaped:
            escaped = False
        elif char == "\\" and inside:
            escaped = True
        elif char == '"':
            inside = not inside
    return inside


def transform_input(transformer: dict[str, Any], event: dict, rule_arn: str) -> str:
    """Apply an InputTransformer. Inside a string literal a value is inserted as text (strings
    unquoted), elsewhere as JSON, so both `"<name>"` and `<name>` templates work as on AWS."""
    values = {name: json_path(event, path)
              for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update({
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
        "aws.events.event.ingestion-time": event.get("time"),
        "aws.events.event": event,
        "aws.events.event.json": event,
    })
    template = transformer.get("InputTemplate", "")

    def render(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if not _inside_string(template, match.start()):
            return json.dumps(value)
        text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]  # escaped for the enclosing string literal

    return _PLACEHOLDER.sub(render, template)


def target_input(target: dict[str, Any], event: dict, rule_arn: str) -> str:
    """The text EventBridge sends to a target."""
    if target.get("Input") is not None:
        return target["Input"]
    try:
        if target.get("InputPath"):
            return json.dumps(json_path(event, target["InputPath"]))
        if target.get("InputTransformer"):
            return transform_input(target["InputTransformer"], event, rule_arn)
    except ValueError as error:
        raise DeliveryFailure("INVALID_PARAMETER", str(error), retryable=False) from error
    return json.dumps(event)


