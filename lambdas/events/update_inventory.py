"""update-inventory: adds the ordered units to each product's `demand` (order-placed rule target).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
Counted once per order: the update is one transaction, and repeats of the event are skipped.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared import inventory
from lambdas.shared.events import OrderPlacedDetail, parse_order_placed
from lambdas.shared.observability import count, instrument
from lambdas.shared.orders_idempotency import idempotent_on


@idempotent_on("orderId")
def record_demand(*, data: dict[str, Any]) -> dict[str, Any]:
    order = OrderPlacedDetail.model_validate(data)
    quantities = inventory.quantities_by_product(order.items)
    inventory.add_demand(quantities)
    count("UnitsOrdered", sum(quantities.values()))
    return {"orderId": order.orderId, "products": sorted(quantities)}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    placed = parse_order_placed(event)
    return record_demand(data=placed.detail.model_dump(mode="json"), lambda_context=context)


handler = instrument(_handle, correlation_id_path="detail.orderId")
