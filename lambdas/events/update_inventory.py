"""update-inventory: adds the ordered units to each product's `demand` (order-placed rule target).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
Counted once per order: the update is one transaction, and repeats of the event are skipped.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import inventory_table
from lambdas.shared.logic.order_lines import quantities_by_product
from lambdas.shared.plumbing.event_targets import order_placed_handler
from lambdas.shared.plumbing.observability import count
from lambdas.shared.schemas.events import OrderPlacedDetail


def record_demand(order: OrderPlacedDetail) -> dict[str, Any]:
    quantities = quantities_by_product(order.items)
    inventory_table.add_demand(quantities)
    count("UnitsOrdered", sum(quantities.values()))
    return {"orderId": order.orderId, "products": sorted(quantities)}


handler = order_placed_handler(record_demand)
