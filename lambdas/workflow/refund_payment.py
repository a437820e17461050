"""refund-payment: refunds the order's charge when its stock could not be reserved.
Returns `{refunded: true, refundId}`.

The payment record becomes REFUNDED (with refundId and refundedAt) and the order REFUNDED with
the reservation's reason. Never refunds twice: the provider is called only while the record
still says CHARGED, and a repeat of the step returns the first result.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import payments_table
from lambdas.shared.dal.payment_provider import payment_provider
from lambdas.shared.dal.payments_table import NothingToRefund, PaymentStatus
from lambdas.shared.logic import order_status
from lambdas.shared.plumbing.idempotency import idempotent_on
from lambdas.shared.plumbing.observability import count, instrument
from lambdas.shared.schemas.events import parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

DEFAULT_REASON = "payment refunded"


@idempotent_on("orderId")
def refund_payment(*, data: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(data)
    payment = payments_table.get_payment(state.orderId)
    if payment is None or payment["status"] == PaymentStatus.DECLINED:
        raise NothingToRefund(f"order {state.orderId} has no charge to refund")

    if payment["status"] == PaymentStatus.CHARGED:
        refund = payment_provider().refund(
            idempotency_key=state.orderId, payment_id=payment["paymentId"], amount=payment["amount"]
        )
        payment = payments_table.record_refund(state.orderId, refund.refund_id)

    reason = (state.inventory.reason if state.inventory else None) or DEFAULT_REASON
    order_status.transition(state.orderId, OrderStatus.REFUNDED, reason=reason)
    count("PaymentsRefunded")
    return {"refunded": True, "refundId": payment["refundId"]}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return refund_payment(data=event, lambda_context=context)


handler = instrument(_handle, correlation_id_path="orderId")
