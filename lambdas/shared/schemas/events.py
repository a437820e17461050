"""Models of what flows between the order functions: the `Order Placed` event (EventBridge, and
the same event as an SQS message body) and the order workflow's state (Step Functions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, Json, PlainSerializer

from lambdas.shared.plumbing.jsonutil import decimal_to_number
from lambdas.shared.schemas.ids import EntityId

ORDER_SOURCE = "order.service"
ORDER_PLACED = "Order Placed"

# Amounts are Decimal in code (DynamoDB numbers) and JSON numbers on the wire: event patterns
# such as `amount > 1000` match numbers only, never numeric strings.
Money = Annotated[Decimal, PlainSerializer(decimal_to_number, return_type=int | float, when_used="json")]


class LineItem(BaseModel):
    """One line of an order as it travels between functions (unknown fields are ignored)."""

    productId: EntityId
    quantity: int


class PlacedLineItem(LineItem):
    # The API accepted the order, so every line has at least one unit.
    quantity: int = Field(ge=1)


class OrderPlacedDetail(BaseModel):
    orderId: EntityId
    customerId: EntityId
    customerEmail: str = Field(min_length=3)
    amount: Money = Field(ge=0)
    items: list[PlacedLineItem] = Field(min_length=1)
    timestamp: datetime


class OrderPlacedEvent(EventBridgeModel):
    """The EventBridge envelope of an `Order Placed` event."""

    source: Literal["order.service"]
    # Not read; optional because moto (hence the local cloud) leaves it out when it delivers
    # to an SQS target.
    account: str | None = None
    detail_type: Literal["Order Placed"] = Field(alias="detail-type")
    detail: OrderPlacedDetail


class OrderPlacedMessage(SqsRecordModel):
    """An SQS record whose body is the `Order Placed` event (the bus rule targets the queue)."""

    body: Json[OrderPlacedEvent]


class ReservationResult(BaseModel):
    """What reserve-inventory returned, kept in the state as `inventory`."""

    reserved: bool
    reason: str | None = None


class WorkflowState(BaseModel):
    """The order workflow's state, as every task receives it.

    Lenient on purpose: validate-order is the step that judges items and amount, and must be
    able to read an invalid order to reject it. Of the earlier steps' results only `inventory`
    is read (by refund-payment, for its reason).
    """

    model_config = ConfigDict(extra="ignore")

    orderId: EntityId
    customerId: EntityId
    customerEmail: str
    amount: Money
    items: list[LineItem]
    paymentToken: str
    inventory: ReservationResult | None = None


def parse_order_placed(event: dict[str, Any]) -> OrderPlacedEvent:
    """Validate an EventBridge `Order Placed` event as a Lambda target receives it."""
    return OrderPlacedEvent.model_validate(event)


def parse_workflow_state(payload: dict[str, Any]) -> WorkflowState:
    return WorkflowState.model_validate(payload)
