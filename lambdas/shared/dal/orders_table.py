"""Order data access: the order record, its status and its history (orders table)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from lambdas.shared.clock import iso_utc
from lambdas.shared.dynamo import is_condition_failure, table
from lambdas.shared.settings import require_env

TABLE_ENV = "ORDERS_TABLE_NAME"
BY_CREATED_DATE_INDEX = "byCreatedDate"


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    PROCESSING = "PROCESSING"
    VALIDATED = "VALIDATED"
    PAID = "PAID"
    RESERVED = "RESERVED"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    REFUNDED = "REFUNDED"


# The statuses an order may move *from* to reach a status. Nothing leads back, so a retried or
# late step can never move an order backwards.
ALLOWED_PREVIOUS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PROCESSING: frozenset({OrderStatus.PLACED}),
    # Also from PLACED, so an execution started without process-order (by hand) can still run.
    OrderStatus.VALIDATED: frozenset({OrderStatus.PLACED, OrderStatus.PROCESSING}),
    OrderStatus.PAID: frozenset({OrderStatus.VALIDATED}),
    OrderStatus.RESERVED: frozenset({OrderStatus.PAID}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.RESERVED}),
    OrderStatus.REJECTED: frozenset({OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.VALIDATED}),
    OrderStatus.REFUNDED: frozenset({OrderStatus.PAID}),
}


class OrderNotFound(LookupError):
    """No order has this id."""


class OrderExists(Exception):
    """An order with this id was already written."""


@dataclass(frozen=True)
class Transition:
    """Outcome of a status change: whether it was applied, and the order's status afterwards.

    `changed=False` with `status == target` means the order was already there (a retry);
    any other status means the order is elsewhere and was left alone.
    """

    changed: bool
    status: OrderStatus


def place_order(
    *,
    order_id: str,
    customer_id: str,
    customer_email: str,
    items: list[dict[str, Any]],
    amount: Decimal,
    payment_token: str,
) -> dict[str, Any]:
    """Write a new order as PLACED and return the record. Raises `OrderExists` for a used id."""
    created_at = iso_utc()
    order = {
        "orderId": order_id,
        "customerId": customer_id,
        "customerEmail": customer_email,
        "items": items,
        "amount": amount,
        "paymentToken": payment_token,
        "status": OrderStatus.PLACED.value,
        "history": [{"status": OrderStatus.PLACED.value, "at": created_at}],
        "createdDate": created_at[:10],
        "createdAt": created_at,
        "updatedAt": created_at,
    }
    try:
        table(TABLE_ENV).put_item(Item=order, ConditionExpression="attribute_not_exists(orderId)")
    except ClientError as error:
        if is_condition_failure(error):
            raise OrderExists(order_id) from error
        raise
    return order


def get_order(order_id: str) -> dict[str, Any] | None:
    """The order record (strongly consistent: steps read what the previous step wrote)."""
    response = table(TABLE_ENV).get_item(Key={"orderId": order_id}, ConsistentRead=True)
    return response.get("Item")


def transition(
    order_id: str,
    target: OrderStatus,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Transition:
    """Move the order to `target` and append to its history, only from an allowed status.

    `extra` attributes are set in the same write (e.g. the confirmation message id).
    Raises `OrderNotFound` if there is no such order.
    """
    update = _transition_update(target, reason, extra or {})
    try:
        table(TABLE_ENV).update_item(
            Key={"orderId": order_id},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **update,
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise
        current = error.response.get("Item")
        if not current:
            raise OrderNotFound(order_id) from error
        return Transition(changed=False, status=OrderStatus(TypeDeserializer().deserialize(current["status"])))
    return Transition(changed=True, status=target)


def transition_write(order_id: str, target: OrderStatus, reason: str | None = None) -> dict[str, Any]:
    """The same status change as `transition`, as one `TransactWriteItems` entry (for the
    DynamoDB resource's client), so it commits atomically with other writes."""
    return {
        "Update": {
            "TableName": require_env(TABLE_ENV),
            "Key": {"orderId": order_id},
            **_transition_update(target, reason, {}),
        }
    }


def orders_created_on(day: str) -> Iterator[dict[str, Any]]:
    """Every order created on `day` (YYYY-MM-DD), through the `byCreatedDate` index, all pages."""
    query = {
        "IndexName": BY_CREATED_DATE_INDEX,
        "KeyConditionExpression": Key("createdDate").eq(day),
    }
    orders = table(TABLE_ENV)
    while True:
        page = orders.query(**query)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _transition_update(target: OrderStatus, reason: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    at = iso_utc()
    entry: dict[str, Any] = {"status": target.value, "at": at}
    if reason:
        entry["reason"] = reason
    previous = sorted(ALLOWED_PREVIOUS[target])
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":target": target.value,
        ":at": at,
        ":entry": [entry],
        ":empty": [],
        **{f":from{i}": status.value for i, status in enumerate(previous)},
    }
    sets = [
        "#status = :target",
        "updatedAt = :at",
        "history = list_append(if_not_exists(history, :empty), :entry)",
    ]
    for i, (name, value) in enumerate(extra.items()):
        names[f"#extra{i}"] = name
        values[f":extra{i}"] = value
        sets.append(f"#extra{i} = :extra{i}")
    allowed = ", ".join(f":from{i}" for i in range(len(previous)))
    return {
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": f"attribute_exists(orderId) AND #status IN ({allowed})",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
