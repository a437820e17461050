"""notify-warehouse: publishes the order's lines to the warehouse topic (order-placed rule target).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
One message per order, however often the event is delivered. Subscribers can filter on the
`eventType` message attribute.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import topics
from lambdas.shared.plumbing.event_targets import order_placed_handler
from lambdas.shared.plumbing.observability import count
from lambdas.shared.plumbing.settings import WarehouseEnv
from lambdas.shared.schemas.events import OrderPlacedDetail

EVENT_TYPE = "OrderPlaced"


def notify_warehouse(order: OrderPlacedDetail) -> dict[str, Any]:
    message = order.model_dump_json(include={"orderId", "items", "timestamp"})
    message_id = topics.publish(WarehouseEnv.load().WAREHOUSE_TOPIC_ARN, message, attributes={"eventType": EVENT_TYPE})
    count("WarehouseNotified")
    return {"orderId": order.orderId, "messageId": message_id}


handler = order_placed_handler(notify_warehouse)
