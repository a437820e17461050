"""Request validation as API Gateway does it with a method's request validator.

Parameters are checked before the body. The body is validated against the model mapped to the
request's Content-Type (`application/json` when there is none); a content type with no model
falls back to the `$default` model, and without one the body is not validated at all.

Messages imitate the wording of the JSON Schema (draft-04) validator API Gateway uses, e.g.
`object has missing required properties (["email"])`; rarer keywords fall back to the
`jsonschema` library's own message.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from jsonschema import Draft4Validator, ValidationError

from .context import GatewayError
from .definition import ApiDefinition, Method
from .request import HttpRequest


def validate_request(api: ApiDefinition, method: Method, request: HttpRequest,
                     query: dict[str, list[str]]) -> GatewayError | None:
    if method.validate_parameters:
        missing = missing_parameters(method, request, query)
        if missing:
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            return GatewayError("BAD_REQUEST_PARAMETERS", message, message)
    if method.validate_body:
        validator = _model_validator(api, method, request.header("Content-Type"))
        if validator is not None:
            errors = body_errors(validator, request.body)
            if errors:
                return GatewayError("BAD_REQUEST_BODY", "Invalid request body",
                                    "[" + ", ".join(errors) + "]")
    return None


def missing_parameters(method: Method, request: HttpRequest,
                       query: dict[str, list[str]]) -> list[str]:
    missing = []
    for key, required in method.request_parameters.items():
        if not required:
            continue
        location, _, name = key.removeprefix("method.request.").partition(".")
        if location == "querystring" and name not in query:
            missing.append(name)
        elif location in ("header", "multivalueheader") and request.header(name) is None:
            missing.append(name)
        # path parameters are always there once the route matched
    return missing


def _model_validator(api: ApiDefinition, method: Method,
                     content_type: str | None) -> Draft4Validator | None:
    media_type = (content_type or "application/json").split(";")[0].strip().lower()
    models = {k.lower(): v for k, v in method.request_models.items()}
    name = models.get(media_type) or models.get("$default")
    return api.models.get(name) if name else None


def body_errors(validator: Draft4Validator, body: bytes) -> list[str]:
    try:
        document = json.loads(body) if body.strip() else {}
    except ValueError as exc:  # includes bad UTF-8
        return [f"Invalid JSON: {exc}"]
    except RecursionError:  # nested deeper than Python's parser goes: a client error, not a 500
        return ["Invalid JSON: nested too deeply"]
    messages: list[str] = []
    for error in validator.iter_errors(document):
        message = _message(error)
        if message not in messages:  # `required` reports once per missing property
            messages.append(message)
    return messages


_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
          (list, "array"), (dict, "object"), (type(None), "null"))


def _type_name(value: Any) -> str:
    return next(name for kind, name in _TYPES if isinstance(value, kind))


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _required(expected: Any, instance: Any) -> str:
    missing = sorted(p for p in expected if p not in instance)
    return f"object has missing required properties ({_compact(missing)})"


def _type(expected: Any, instance: Any) -> str:
    allowed = sorted(expected if isinstance(expected, list) else [expected])
    return (f"instance type ({_type_name(instance)}) does not match any allowed primitive "
            f"type (allowed: {_compact(allowed)})")


def _additional(expected: Any, instance: Any, properties: dict) -> str:
    extra = sorted(set(instance) - set(properties))
    return f"object instance has properties which are not allowed by the schema: {_compact(extra)}"


def _format(expected: Any, instance: Any) -> str:
    what = "email address" if expected == "email" else expected
    return f"string {_compact(instance)} is not a valid {what}"


# keyword -> AWS's wording; fields: {instance} and {expected} as compact JSON, {found} and
# {bound} as they are, {length} of the instance
_TEMPLATES = {
    "enum": "instance value ({instance}) not found in enum (possible values: {expected})",
    "minLength": "string {instance} is too short (length: {length}, required minimum: {bound})",
    "maxLength": "string {instance} is too long (length: {length}, maximum allowed: {bound})",
    "minimum": "numeric instance is lower than the required minimum "
               "(minimum: {bound}, found: {found})",
    "maximum": "numeric instance is greater than the required maximum "
               "(maximum: {bound}, found: {found})",
    "pattern": "ECMA 262 regex {expected} does not match input string {instance}",
    "minItems": "array is too short: must have at least {bound} elements "
                "but instance has {length} elements",
    "maxItems": "array is too long: must have at most {bound} elements "
                "but instance has {length} elements",
}
_BUILDERS: dict[str, Callable[[Any, Any], str]] = {
    "required": _required, "type": _type, "format": _format}


def _message(error: ValidationError) -> str:
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "additionalProperties":
        return _additional(expected, instance, error.schema.get("properties", {}))
    if keyword in _BUILDERS:
        return _BUILDERS[keyword](expected, instance)
    if keyword in _TEMPLATES:
        return _TEMPLATES[keyword].format(
            instance=_compact(instance), expected=_compact(expected), found=instance,
            bound=expected, length=len(instance) if hasattr(instance, "__len__") else "")
    return error.message
