"""update-inventory: adds the ordered units to each product's `demand` (order-placed rule target).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
Counted once per order: the update is one transaction, and repeats of the event are skipped.
Only products with an inventory item get demand; an unknown product is logged and counted, and
never gets an item (which would make it look known to validate-order).
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import inventory_table
from lambdas.shared.logic.order_lines import quantities_by_product
from lambdas.shared.plumbing.event_targets import order_placed_handler
from lambdas.shared.plumbing.observability import count, get_logger
from lambdas.shared.schemas.events import OrderPlacedDetail


def record_demand(order: OrderPlacedDetail) -> dict[str, Any]:
    quantities = quantities_by_product(order.items)
    unknown = inventory_table.add_demand(quantities)
    if unknown:
        # Not an error to retry: the workflow rejects the order at validation.
        get_logger().warning("Order names unknown products; no demand recorded for them", extra={"unknownProducts": unknown})
        count("UnknownProductsOrdered", len(unknown))
    count("UnitsOrdered", sum(quantity for product, quantity in quantities.items() if product not in unknown))
    return {"orderId": order.orderId, "products": sorted(set(quantities) - set(unknown)), "unknownProducts": unknown}


handler = order_placed_handler(record_demand)
