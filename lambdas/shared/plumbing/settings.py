"""The functions' environment, as typed models read when a handler runs (never at import time,
so tests and the local cloud can set variables first, and a changed variable is seen at once).

One model per resource, each read by the code that uses that resource: a data-access module
serves functions of several areas (the orders table is read by nine), and functions of one area
get different variables (send-email and update-inventory share none but the idempotency table),
so a model per resource is what every function that reads it is sure to have. docs/contracts.md
lists which function gets which variable; the names are fixed there and in components/.

`Model.load()` validates `os.environ` on every call (microseconds, next to any AWS call). A
missing or blank variable raises `MissingSetting` naming it: a deployment error, which the API
turns into a 500 and other functions raise for Lambda to retry.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

# A required value: surrounding blanks are dropped, and a blank value counts as unset.
Setting = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class MissingSetting(RuntimeError):
    """A required environment variable is not set: a deployment error, not a client error."""


class EnvModel(BaseModel):
    """Base of the environment models: each field is an environment variable of that name."""

    # defer_build: a model's validator is built when it is first loaded, so a cold start pays
    # only for the models its function reads.
    model_config = ConfigDict(frozen=True, defer_build=True)

    @classmethod
    def load(cls) -> Self:
        """The model, validated from the environment as it is now."""
        values = {name: os.environ[name] for name in cls.model_fields if name in os.environ}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            names = sorted({str(item["loc"][0]) for item in error.errors()})
            if len(names) == 1:
                message = f"environment variable {names[0]} is not set"
            else:
                message = f"environment variables {', '.join(names)} are not set"
            raise MissingSetting(message) from None


class ApiEnv(EnvModel):
    """API functions (users, create-order, get-order): the CORS origins, comma-separated; `*`
    allows any; unset or empty allows none."""

    ALLOWED_ORIGINS: Annotated[tuple[str, ...], BeforeValidator(_comma_separated)] = ()


class UsersEnv(EnvModel):
    """The users table: the users functions, and create-order (the customer must exist)."""

    USERS_TABLE_NAME: Setting


class OrdersEnv(EnvModel):
    """The orders table: the orders functions, the workflow tasks and daily-report."""

    ORDERS_TABLE_NAME: Setting


class IdempotencyEnv(EnvModel):
    """Powertools idempotency records: create-order, the order-placed targets, process-payment
    and refund-payment."""

    IDEMPOTENCY_TABLE_NAME: Setting


class WorkflowEnv(EnvModel):
    """The order workflow (state machine) process-order starts."""

    STATE_MACHINE_ARN: Setting


class EmailEnv(EnvModel):
    """The verified SES sender of customer email: send-email and notify-customer."""

    SENDER_EMAIL: Setting


class InventoryEnv(EnvModel):
    """The inventory table: update-inventory (demand) and reserve-inventory (stock)."""

    INVENTORY_TABLE_NAME: Setting


class WarehouseEnv(EnvModel):
    """The warehouse topic notify-warehouse publishes to."""

    WAREHOUSE_TOPIC_ARN: Setting


class PaymentsEnv(EnvModel):
    """process-payment and refund-payment: the payments table and the provider key's secret."""

    PAYMENTS_TABLE_NAME: Setting
    PAYMENT_SECRET_ARN: Setting


class ReportEnv(EnvModel):
    """daily-report: the reports table and the ops topic its summary goes to."""

    REPORTS_TABLE_NAME: Setting
    OPS_TOPIC_ARN: Setting


class OrderLimitsEnv(EnvModel):
    """create-order: the largest amount one order may have (`MAX_ORDER_AMOUNT`, a decimal, from
    the stack setting `api.maxOrderAmount`)."""

    MAX_ORDER_AMOUNT: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class SweeperEnv(EnvModel):
    """sweep-stuck-orders: how old an unfinished order must be to count as stuck, the order bus
    it publishes `Order Placed` on again, and the function that sends a confirmation email again
    (notify-customer)."""

    STUCK_AFTER_MINUTES: Annotated[int, Field(ge=1)]
    EVENT_BUS_NAME: Setting
    NOTIFY_FUNCTION_NAME: Setting
    # EXPRESS executions cannot be described nor redriven (the sweeper starts a new one).
    WORKFLOW_TYPE: Literal["STANDARD", "EXPRESS"] = "STANDARD"
