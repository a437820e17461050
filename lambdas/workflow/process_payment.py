"""process-payment: charges the order through the payment provider.
Returns `{status: "SUCCESS" | "DECLINED", paymentId, reason}`.

The order becomes PAID, or REJECTED when the payment is declined. Never charges twice: a repeat
of the step returns the first result, and a charge recorded in the payments table is reused.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import payments_table
from lambdas.shared.dal.payment_provider import payment_provider
from lambdas.shared.dal.payments_table import PaymentStatus
from lambdas.shared.logic import order_status
from lambdas.shared.plumbing.idempotency import idempotent_on
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.schemas.events import parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

DECLINED_REASON = "payment declined"


@idempotent_on("orderId")
def take_payment(*, data: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(data)
    payment = payments_table.get_payment(state.orderId)
    if payment is None:
        charge = payment_provider().charge(
            idempotency_key=state.orderId, amount=state.amount, token=state.paymentToken
        )
        payment = payments_table.record_charge(state.orderId, state.amount, charge)

    if payment["status"] == PaymentStatus.DECLINED:
        order_status.transition(state.orderId, OrderStatus.REJECTED, reason=DECLINED_REASON)
        count("PaymentsDeclined")
        return {"status": "DECLINED", "paymentId": None, "reason": DECLINED_REASON}

    result = order_status.transition(state.orderId, OrderStatus.PAID)
    if result.status is not OrderStatus.PAID:
        get_logger().warning("Order charged but not in PAID", extra={"status": result.status.value})
    count("PaymentsCharged")
    return {"status": "SUCCESS", "paymentId": payment["paymentId"], "reason": None}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return take_payment(data=event, lambda_context=context)


handler = instrument(_handle, correlation_id_path="orderId")
