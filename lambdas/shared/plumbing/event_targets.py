"""What every target of the order-placed rule (send-email, update-inventory, notify-warehouse)
shares: the event parsed as `Order Placed`, its step run once per order, the order id as the
correlation id of the logs.

Invoked asynchronously, the targets raise their errors, so Lambda's retries and on-failure
destination apply; a repeat of the event gets the first result back instead of running again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from lambdas.shared.plumbing.idempotency import idempotent_on
from lambdas.shared.plumbing.observability import Handler, instrument
from lambdas.shared.schemas.events import OrderPlacedDetail, parse_order_placed

Step = Callable[[OrderPlacedDetail], dict[str, Any]]


def order_placed_handler(step: Step) -> Handler:
    """The Lambda handler that runs `step(order)` once per `orderId`; its result must be plain
    JSON (a repeat gets it back from the idempotency table)."""

    # wraps: the idempotency records are keyed by the step's module and name, so each target
    # keeps its own records (and the keys they had before this helper existed).
    @idempotent_on("orderId")
    @functools.wraps(step)
    def once(*, data: dict[str, Any]) -> dict[str, Any]:
        return step(OrderPlacedDetail.model_validate(data))

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        placed = parse_order_placed(event)
        return once(data=placed.detail.model_dump(mode="json"), lambda_context=context)

    return instrument(handle, correlation_id_path="detail.orderId")
