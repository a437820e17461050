"""The order bus (EventBridge, `EVENT_BUS_NAME`): publishing `Order Placed`."""

from __future__ import annotations

from lambdas.shared.plumbing.aws_clients import client
from lambdas.shared.plumbing.settings import OrderBusEnv
from lambdas.shared.schemas.events import ORDER_PLACED, ORDER_SOURCE, OrderPlacedDetail


class EventNotPublished(RuntimeError):
    """EventBridge did not accept the event; the client should retry with the same key."""


def publish_order_placed(detail: OrderPlacedDetail) -> None:
    """Put one `Order Placed` event on the bus. Raises `EventNotPublished` if it is refused."""
    response = client("events").put_events(
        Entries=[
            {
                "EventBusName": OrderBusEnv.load().EVENT_BUS_NAME,
                "Source": ORDER_SOURCE,
                "DetailType": ORDER_PLACED,
                "Detail": detail.to_json(),
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise EventNotPublished(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
