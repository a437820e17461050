"""validate-order: first task of the order workflow. Returns `{valid, reason}`.

A valid order becomes VALIDATED; an invalid one REJECTED with the reason. A repeat of the step
gives the same answer and leaves the order where it is.

It trusts nothing in its input (an execution can be started by hand, or by an older intake): the
order's content is judged by the API's own rules (`logic/order_rules.py`: ids, quantities, exact
amount, `MAX_ORDER_AMOUNT`), and every product must have an inventory item, all before the
payment step can charge anything. The product check is a read (BatchGetItem): it creates nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lambdas.shared.dal import inventory_table
from lambdas.shared.logic import order_rules, order_status
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.plumbing.validation import describe_validation_error
from lambdas.shared.schemas.events import parse_workflow_state
from lambdas.shared.schemas.ids import ENTITY_ID
from lambdas.shared.schemas.orders import OrderStatus

# VALIDATED: this step already ran for the order (a retry).
VALIDATABLE = {OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.VALIDATED}


def validate(payload: dict[str, Any]) -> dict[str, Any]:
    # The client's fields first, by the API's rules (their messages name the field), then the rest.
    problem = order_rules.content_problem(payload, "invalid order")
    if problem:
        return _reject(payload.get("orderId"), problem)
    try:
        state = parse_workflow_state(payload)
    except ValidationError as error:
        return _reject(payload.get("orderId"), describe_validation_error(error, "malformed order"))

    # Before any charge: an unknown product could only be refunded later.
    unknown = inventory_table.missing_products([item.productId for item in state.items])
    if unknown:
        return _reject(state.orderId, f"unknown product(s): {', '.join(unknown)}")

    # The conditional write checks the order's status (no read before it): an order that is
    # not PLACED/PROCESSING (or VALIDATED already, a retry) is left alone and reported.
    try:
        result = order_status.transition(state.orderId, OrderStatus.VALIDATED)
    except order_status.OrderNotFound:
        return _reject(None, f"order {state.orderId} does not exist")
    if result.status is not OrderStatus.VALIDATED:
        return _reject(None, f"order is {result.status}")
    count("OrdersValidated")
    return {"valid": True, "reason": None}


def _reject(order_id: Any, reason: str) -> dict[str, Any]:
    """The invalid answer; the order (when there is one to mark) becomes REJECTED."""
    get_logger().info("Order rejected", extra={"reason": reason})
    # Only an id that can be a key: a malformed one would fail the write itself.
    if ENTITY_ID.problem(order_id) is None:
        try:
            order_status.transition(order_id, OrderStatus.REJECTED, reason=reason)
        except order_status.OrderNotFound:
            pass
    count("OrdersRejected")
    return {"valid": False, "reason": reason}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return validate(event)


handler = instrument(_handle, correlation_id_path="orderId")
