"""API request models: the single source of the request schemas.

The handlers validate request bodies with these models, and the infrastructure turns them into
API Gateway (JSON Schema draft-04) models with `lambdas.shared.models.api_schema()`, so both
sides enforce the same rules. Keep them flat and simple so the generated schemas stay readable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

EMAIL_PATTERN = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"


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


# The hard ceiling of an order amount, whatever a stack configures (MAX_ORDER_AMOUNT lowers it):
# far inside DynamoDB's numbers (38 significant digits), and with two fractional digits it has
# at most 15 significant digits, so even a JSON encoder that goes through a binary float (the
# Lambda runtime's, between workflow steps) writes back the very same decimal text.
AMOUNT_CEILING = Decimal(10**12)
MAX_QUANTITY = 1000


def _json_number(value: Any) -> Any:
    # The API parses JSON numbers as Decimal (or int), never float. A float can only come from
    # Python callers: it is read as its shortest text (19.99, not 19.989999...). Anything else
    # is not a number (booleans included, although bool is an int in Python).
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a JSON number")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


# An amount of money: an exact decimal from the JSON text, at most two fractional digits,
# bounded. The API Gateway model sees a plain JSON number with the same bounds.
Amount = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=AMOUNT_CEILING, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": int(AMOUNT_CEILING)}),
]


class OrderItem(RequestModel):
    productId: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class OrderCreate(RequestModel):
    customerId: str = Field(min_length=1, max_length=64)
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    # A JSON number, kept as the exact Decimal of its text (19.99 stays 19.99).
    amount: Amount
    paymentToken: str = Field(min_length=1, max_length=128)
