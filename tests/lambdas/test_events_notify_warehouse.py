"""notify-warehouse: one SNS message per order, with an eventType attribute."""

from __future__ import annotations

import json

from lambdas.events import notify_warehouse
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import DEFAULT_ITEMS, order_placed_event


def test_warehouse_gets_the_order_lines(order_cloud, lambda_context):
    result = notify_warehouse.handler(order_placed_event("o-1"), lambda_context)

    [message] = order_cloud.received(order_cloud.warehouse_queue_url)
    assert json.loads(message["Body"]) == {
        "orderId": "o-1",
        "items": DEFAULT_ITEMS,
        "timestamp": "2024-05-01T10:00:00Z",
    }
    assert message["MessageAttributes"]["eventType"]["StringValue"] == "OrderPlaced"
    assert result["orderId"] == "o-1"


def test_redelivered_event_publishes_once(order_cloud, lambda_context):
    notify_warehouse.handler(order_placed_event("o-1"), lambda_context)
    notify_warehouse.handler(order_placed_event("o-1"), lambda_context)

    assert len(order_cloud.received(order_cloud.warehouse_queue_url)) == 1
