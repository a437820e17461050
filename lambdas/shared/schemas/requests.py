"""API request models: the single source of the request schemas.

The handlers validate request bodies with these models, and the infrastructure turns them into
API Gateway (JSON Schema draft-04) models with `lambdas.shared.models.api_schema()`, so both
sides enforce the same rules. Keep them flat and simple so the generated schemas stay readable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class OrderItem(RequestModel):
    productId: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(RequestModel):
    customerId: str = Field(min_length=1, max_length=64)
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    # A JSON number; stored as Decimal(str(amount)), so 19.99 stays 19.99.
    amount: float = Field(ge=0, allow_inf_nan=False)
    paymentToken: str = Field(min_length=1, max_length=128)
