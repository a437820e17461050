"""notify-warehouse: publishes the order's lines to the warehouse topic (order-placed rule target).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
One message per order, however often the event is delivered. Subscribers can filter on the
`eventType` message attribute.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.events import OrderPlacedDetail, parse_order_placed
from lambdas.shared.observability import count, instrument
from lambdas.shared.aws_clients import client
from lambdas.shared.orders_idempotency import idempotent_on
from lambdas.shared.settings import require_env

TOPIC_ENV = "WAREHOUSE_TOPIC_ARN"
EVENT_TYPE = "OrderPlaced"


@idempotent_on("orderId")
def notify_warehouse(*, data: dict[str, Any]) -> dict[str, Any]:
    order = OrderPlacedDetail.model_validate(data)
    message = order.model_dump_json(include={"orderId", "items", "timestamp"})
    response = client("sns").publish(
        TopicArn=require_env(TOPIC_ENV),
        Message=message,
        MessageAttributes={"eventType": {"DataType": "String", "StringValue": EVENT_TYPE}},
    )
    count("WarehouseNotified")
    return {"orderId": order.orderId, "messageId": response["MessageId"]}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    placed = parse_order_placed(event)
    return notify_warehouse(data=placed.detail.model_dump(mode="json"), lambda_context=context)


handler = instrument(_handle, correlation_id_path="detail.orderId")
