"""process-payment: charges the order through the payment provider.
Returns `{status: "SUCCESS" | "DECLINED", paymentId, reason}`.

The order becomes PAID, or REJECTED when the payment is declined. Never charges twice: a repeat
of the step returns the first result, and a charge recorded in the payments table is reused.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared import orders, payments_store
from lambdas.shared.events import parse_workflow_state
from lambdas.shared.observability import count, get_logger, instrument
from lambdas.shared.orders import OrderStatus
from lambdas.shared.orders_idempotency import idempotent_on
from lambdas.shared.payments import payment_provider
from lambdas.shared.payments_store import PaymentStatus

DECLINED_REASON = "payment declined"


@idempotent_on("orderId")
def take_payment(*, data: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(data)
    payment = payments_store.get_payment(state.orderId)
    if payment is None:
        charge = payment_provider().charge(
            idempotency_key=state.orderId, amount=state.amount, token=state.paymentToken
        )
        payment = payments_store.record_charge(state.orderId, state.amount, charge)

    if payment["status"] == PaymentStatus.DECLINED:
        orders.transition(state.orderId, OrderStatus.REJECTED, reason=DECLINED_REASON)
        count("PaymentsDeclined")
        return {"status": "DECLINED", "paymentId": None, "reason": DECLINED_REASON}

    result = orders.transition(state.orderId, OrderStatus.PAID)
    if result.status is not OrderStatus.PAID:
        get_logger().warning("Order charged but not in PAID", extra={"status": result.status.value})
    count("PaymentsCharged")
    return {"status": "SUCCESS", "paymentId": payment["paymentId"], "reason": None}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return take_payment(data=event, lambda_context=context)


handler = instrument(_handle, correlation_id_path="orderId")
