"""API request models: the single source of the request schemas.

The handlers validate request bodies with these models, and the infrastructure turns them into
API Gateway (JSON Schema draft-04) models with `lambdas.shared.models.api_schema()`, so both
sides enforce the same rules. Keep them flat and simple so the generated schemas stay readable.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from lambdas.shared.schemas.ids import EntityId


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


_AGE_FIELD = {"ge": 0, "le": 150}
# What the API Gateway model checks of a name: no ASCII control character and at least one
# character that is not a space. The handler also strips it and refuses every Unicode control
# or format character (`_clean_name`).
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


def _clean_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ValueError("must not be blank")
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise ValueError("must not contain control characters")
    return name


Name = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra={"pattern": NAME_PATTERN}),
                 AfterValidator(_clean_name)]


class UserCreate(RequestModel):
    """The caller's profile. The email is not in the body: it comes from the caller's token."""

    name: Name
    age: int | None = Field(default=None, **_AGE_FIELD)


class UserUpdate(RequestModel):
    """A partial update of the caller's profile (the email belongs to the user pool)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: Name | None = None
    age: int | None = Field(default=None, **_AGE_FIELD)

    @model_validator(mode="after")
    def _at_least_one_field(self) -> UserUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one of name, age is required")
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
    productId: EntityId
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class OrderCreate(RequestModel):
    # The caller places orders for themselves: absent means the caller, another id is a 403.
    customerId: EntityId | None = None
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    # A JSON number, kept as the exact Decimal of its text (19.99 stays 19.99).
    amount: Amount
    paymentToken: str = Field(min_length=1, max_length=128)
