"""reserve-inventory: takes the order's units out of stock. Returns `{reserved, reason}`.

One transaction decrements every product only if its stock suffices and moves the order from
PAID to RESERVED, so stock never goes negative, nothing is half-reserved, and a repeat of the
step cannot reserve twice (the order is no longer PAID). When stock is short nothing changes
here; the workflow refunds the payment next.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import inventory_table, orders_table
from lambdas.shared.dal.inventory_table import ReservationRefused
from lambdas.shared.logic import order_status
from lambdas.shared.logic.order_lines import quantities_by_product
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.schemas.events import parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

# The order is past this step already: an earlier attempt reserved its stock.
ALREADY_RESERVED = {OrderStatus.RESERVED, OrderStatus.CONFIRMED}


def reserve_stock(payload: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(payload)
    try:
        inventory_table.reserve(
            quantities_by_product(state.items),
            order_status.transition_write(state.orderId, OrderStatus.RESERVED),
        )
    except ReservationRefused as refused:
        if refused.order_refused:
            return _order_not_payable(state.orderId)
        reason = f"insufficient stock for {', '.join(refused.out_of_stock)}"
        get_logger().info("Stock not reserved", extra={"reason": reason})
        count("ReservationsRefused")
        return {"reserved": False, "reason": reason}
    count("ReservationsMade")
    return {"reserved": True, "reason": None}


def _order_not_payable(order_id: str) -> dict[str, Any]:
    order = orders_table.get_order(order_id)
    status = order["status"] if order else None
    if status in ALREADY_RESERVED:
        return {"reserved": True, "reason": None}
    reason = f"order is {status}" if status else f"order {order_id} does not exist"
    get_logger().warning("Order cannot be reserved", extra={"reason": reason})
    return {"reserved": False, "reason": reason}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return reserve_stock(event)


handler = instrument(_handle, correlation_id_path="orderId")
