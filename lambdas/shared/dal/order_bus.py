"""The order bus (EventBridge): publishing `Order Placed` directly.

Orders reach the bus through the outbox (the orders table's stream and pipe); this direct
publish is for re-driving an order the outbox left behind (sweep-stuck-orders).
"""

from __future__ import annotations

from lambdas.shared.plumbing.aws_clients import client
from lambdas.shared.schemas.events import ORDER_PLACED, ORDER_SOURCE, OrderPlacedDetail


class EventNotPublished(RuntimeError):
    """EventBridge did not accept the event."""


def publish_order_placed(bus_name: str, detail: OrderPlacedDetail) -> None:
    """Put one `Order Placed` event on `bus_name`. Raises `EventNotPublished` if refused."""
    response = client("events").put_events(Entries=[{
        "EventBusName": bus_name, "Source": ORDER_SOURCE, "DetailType": ORDER_PLACED,
        "Detail": detail.model_dump_json()}])
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise EventNotPublished(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
