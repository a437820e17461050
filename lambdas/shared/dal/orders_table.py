"""Order data access (orders table): the order record, its status and its history.

Status changes are conditional writes: the caller says from which statuses the change is
allowed (the status machine, `logic/order_status.py`), and the table refuses it otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import Any

from lambdas.shared.dal.dynamo import is_condition_failure, table
from lambdas.shared.plumbing.aws_clients import client_error
from lambdas.shared.plumbing.clock import iso_utc
from lambdas.shared.plumbing.settings import OrdersEnv
from lambdas.shared.schemas.orders import OrderStatus

BY_CREATED_DATE_INDEX = "byCreatedDate"
# Orders by status and last change: how the sweeper finds orders that stopped moving.
BY_STATUS_INDEX = "byStatus"
# Sparse: only confirmed orders whose confirmation email is still to be sent are in it.
AWAITING_EMAIL_INDEX = "byConfirmationEmailPending"
EMAIL_PENDING_ATTRIBUTE = "confirmationEmailPending"
EMAIL_PENDING = "PENDING"
MESSAGE_ID_ATTRIBUTE = "confirmationMessageId"


class OrderNotFound(LookupError):
    """No order has this id."""


class OrderExists(Exception):
    """An order with this id was already written."""


def _table_name() -> str:
    return OrdersEnv.load().ORDERS_TABLE_NAME


def insert_placed(
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
        table(_table_name()).put_item(Item=order, ConditionExpression="attribute_not_exists(orderId)")
    except client_error() as error:
        if is_condition_failure(error):
            raise OrderExists(order_id) from error
        raise
    return order


def get_order(order_id: str) -> dict[str, Any] | None:
    """The order record (strongly consistent: steps read what the previous step wrote)."""
    response = table(_table_name()).get_item(Key={"orderId": order_id}, ConsistentRead=True)
    return response.get("Item")


def set_status(
    order_id: str,
    target: OrderStatus,
    allowed_from: Collection[OrderStatus],
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> OrderStatus | None:
    """Move the order to `target` and append to its history, only from a status in `allowed_from`.

    `extra` attributes are set in the same write (e.g. the confirmation message id).
    Returns None when written; otherwise the order's status, which it keeps.
    Raises `OrderNotFound` if there is no such order.
    """
    try:
        table(_table_name()).update_item(
            Key={"orderId": order_id},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **_status_update(target, allowed_from, reason, extra or {}),
        )
    except client_error() as error:
        if not is_condition_failure(error):
            raise
        current = error.response.get("Item")
        if not current:
            raise OrderNotFound(order_id) from error
        from boto3.dynamodb.types import TypeDeserializer  # boto3 is loaded by now (the write)

        return OrderStatus(TypeDeserializer().deserialize(current["status"]))
    return None


def status_write(
    order_id: str,
    target: OrderStatus,
    allowed_from: Collection[OrderStatus],
    reason: str | None = None,
) -> dict[str, Any]:
    """The same status change as `set_status`, as one `TransactWriteItems` entry (for the
    DynamoDB resource's client), so it commits atomically with other writes."""
    return {
        "Update": {
            "TableName": _table_name(),
            "Key": {"orderId": order_id},
            **_status_update(target, allowed_from, reason, {}),
        }
    }


def orders_created_on(day: str) -> Iterator[dict[str, Any]]:
    """Every order created on `day` (YYYY-MM-DD), through the `byCreatedDate` index, all pages."""
    return _query_all(BY_CREATED_DATE_INDEX, _key("createdDate").eq(day))


def orders_in_status(status: OrderStatus, changed_before: str) -> Iterator[dict[str, Any]]:
    """Orders in `status` whose last change (`updatedAt`) is before `changed_before` (ISO
    time), through the `byStatus` index, all pages."""
    return _query_all(BY_STATUS_INDEX,
                      _key("status").eq(status.value) & _key("updatedAt").lt(changed_before))


def orders_awaiting_email(changed_before: str) -> Iterator[dict[str, Any]]:
    """Confirmed orders whose confirmation email was not sent, last changed before
    `changed_before`, through the sparse `byConfirmationEmailPending` index."""
    return _query_all(AWAITING_EMAIL_INDEX, _key(EMAIL_PENDING_ATTRIBUTE).eq(EMAIL_PENDING)
                      & _key("updatedAt").lt(changed_before))


def record_confirmation_email(order_id: str, message_id: str) -> None:
    """The confirmation email of a confirmed order was sent after all: keep its message id and
    take the order out of the awaiting-email index."""
    table(_table_name()).update_item(
        Key={"orderId": order_id},
        UpdateExpression=f"SET {MESSAGE_ID_ATTRIBUTE} = :id REMOVE {EMAIL_PENDING_ATTRIBUTE}",
        ConditionExpression="attribute_exists(orderId)",
        ExpressionAttributeValues={":id": message_id})


def _key(name: str) -> Any:
    """A key condition on `name` (boto3 is loaded with the table, not at import)."""
    from boto3.dynamodb.conditions import Key

    return Key(name)


def _query_all(index: str, condition: Any) -> Iterator[dict[str, Any]]:
    query: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": condition}
    orders = table(_table_name())
    while True:
        page = orders.query(**query)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _status_update(
    target: OrderStatus,
    allowed_from: Collection[OrderStatus],
    reason: str | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    at = iso_utc()
    entry: dict[str, Any] = {"status": target.value, "at": at}
    if reason:
        entry["reason"] = reason
    previous = sorted(allowed_from)
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
