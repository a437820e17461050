"""API request models: the single source of the request schemas.

The handlers validate request bodies with these models, and the infrastructure turns them into
API Gateway (JSON Schema draft-04) models with `api_schema()`, so both sides enforce the same
rules. Keep them flat and simple so the generated schemas stay readable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import GenerateJsonSchema

EMAIL_PATTERN = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"
DRAFT_04 = "http://json-schema.org/draft-04/schema#"


class RequestModel(BaseModel):
    """Base of every request body: unknown fields and JSON nulls are errors.

    `strict` keeps the Lambda as strict as the generated JSON Schema: "5" is not a number and
    1.0 is not an integer, exactly as API Gateway would judge them.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _reject_null(cls, value: Any) -> Any:
        # Optional fields may be omitted, but an explicit null would erase data on update and
        # is not allowed by the generated schema either.
        if value is None:
            raise ValueError("must not be null")
        return value


_EMAIL_FIELD = {"max_length": 254, "pattern": EMAIL_PATTERN, "json_schema_extra": {"format": "email"}}
_NAME_FIELD = {"min_length": 1, "max_length": 100}
_AGE_FIELD = {"ge": 0, "le": 150}


class UserCreate(RequestModel):
    email: str = Field(**_EMAIL_FIELD)
    name: str = Field(**_NAME_FIELD)
    age: int | None = Field(default=None, **_AGE_FIELD)


class UserUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    email: str | None = Field(default=None, **_EMAIL_FIELD)
    name: str | None = Field(default=None, **_NAME_FIELD)
    age: int | None = Field(default=None, **_AGE_FIELD)

    @model_validator(mode="after")
    def _at_least_one_field(self) -> UserUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one of email, name, age is required")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, and only those (a partial update)."""
        return self.model_dump(exclude_unset=True)


class OrderItem(RequestModel):
    productId: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(RequestModel):
    customerId: str = Field(min_length=1, max_length=64)
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    # A JSON number; convert with `lambdas.shared.dynamo.to_dynamo` (Decimal via str) to store it.
    amount: float = Field(ge=0, allow_inf_nan=False)
    paymentToken: str = Field(min_length=1, max_length=128)


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
