"""API Gateway models: the request models of `schemas/requests.py` as JSON Schema draft-04.

For the infrastructure (components/ import this module by its path, and `API_MODELS` names the
models the API serves); no handler imports it, so the schema generator stays out of cold starts.
Imports nothing but pydantic: the Pulumi program has no Powertools or boto3.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from lambdas.shared.schemas.requests import OrderCreate, RequestModel, UserCreate, UserUpdate

DRAFT_04 = "http://json-schema.org/draft-04/schema#"


class _OptionalAsPlainType(GenerateJsonSchema):
    """Render `X | None` as plain `X`: draft-04 has no null-union idiom API Gateway accepts,
    and nulls are rejected by `RequestModel` anyway."""

    def nullable_schema(self, schema: Any) -> Any:
        return self.generate_inner(schema["schema"])


# Keywords whose value is a schema, or a list or map of schemas (the rest are plain values, so a
# property called "title" is never mistaken for the annotation).
_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_MAPS = ("properties", "patternProperties")


def _draft04(schema: Any, defs: dict[str, Any]) -> Any:
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _draft04(defs[name], defs)

    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key in _SUBSCHEMA:
            out[key] = _draft04(value, defs)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [_draft04(item, defs) for item in value]
        elif key in _SUBSCHEMA_MAPS:
            out[key] = {name: _draft04(sub, defs) for name, sub in value.items()}
        else:
            out[key] = value
    # Draft-06+ numeric exclusive bounds become draft-04 boolean flags.
    for bound, keyword in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), (int, float)) and not isinstance(out[bound], bool):
            out[keyword] = out[bound]
            out[bound] = True
    return out


def api_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's request schema as a self-contained JSON Schema draft-04 document.

    `$defs` are inlined (no `$ref`), titles dropped, optional fields typed plainly.
    """
    schema = model.model_json_schema(schema_generator=_OptionalAsPlainType)
    body = _draft04(schema, schema.get("$defs", {}))
    return {"$schema": DRAFT_04, **body}


# The request models the API serves, by name, for the infrastructure code.
API_MODELS: dict[str, type[RequestModel]] = {
    "UserCreate": UserCreate,
    "UserUpdate": UserUpdate,
    "OrderCreate": OrderCreate,
}
