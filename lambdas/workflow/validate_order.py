"""validate-order: first task of the order workflow. Returns `{valid, reason}`.

A valid order becomes VALIDATED; an invalid one REJECTED with the reason. A repeat of the step
gives the same answer and leaves the order where it is.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lambdas.shared.dal import orders_table
from lambdas.shared.logic import order_status
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.schemas.events import WorkflowState, parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

# VALIDATED: this step already ran for the order (a retry).
VALIDATABLE = {OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.VALIDATED}


def validate(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        state = parse_workflow_state(payload)
    except ValidationError as error:
        return _reject(payload.get("orderId"), f"malformed order: {error.error_count()} invalid field(s)")

    problem = _content_problem(state)
    if problem:
        return _reject(state.orderId, problem)

    order = orders_table.get_order(state.orderId)
    if order is None:
        return _reject(None, f"order {state.orderId} does not exist")
    if order["status"] not in VALIDATABLE:
        return _reject(None, f"order is {order['status']}")

    result = order_status.transition(state.orderId, OrderStatus.VALIDATED)
    if result.status is not OrderStatus.VALIDATED:
        return _reject(None, f"order is {result.status}")  # changed by someone else meanwhile
    count("OrdersValidated")
    return {"valid": True, "reason": None}


def _content_problem(state: WorkflowState) -> str | None:
    if not state.items:
        return "order has no items"
    short = [item.productId for item in state.items if item.quantity < 1]
    if short:
        return f"quantity must be at least 1 for {', '.join(short)}"
    if state.amount < 0:
        return "amount must not be negative"
    return None


def _reject(order_id: Any, reason: str) -> dict[str, Any]:
    """The invalid answer; the order (when there is one to mark) becomes REJECTED."""
    get_logger().info("Order rejected", extra={"reason": reason})
    if isinstance(order_id, str) and order_id:
        try:
            order_status.transition(order_id, OrderStatus.REJECTED, reason=reason)
        except order_status.OrderNotFound:
            pass
    count("OrdersRejected")
    return {"valid": False, "reason": reason}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return validate(event)


handler = instrument(_handle, correlation_id_path="orderId")
