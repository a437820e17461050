"""refund-payment: refunds the order's charge when its stock could not be reserved, or when a
step failed after its retries (the state then carries the caught `error`).
Returns `{refunded, refundId}`.

The payment record becomes REFUNDED (with refundId and refundedAt) and the order REFUNDED with
the reservation's reason (or the failed step's error). Never refunds twice: the provider is
called only while the record still says CHARGED, and a repeat of the step returns the first
result. As the workflow's safety net (after a failed step) an order with nothing charged is not
an error: it becomes REJECTED and `{refunded: false}` is returned.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import payments_table
from lambdas.shared.dal.payment_provider import payment_provider
from lambdas.shared.dal.payments_table import NothingToRefund, PaymentStatus
from lambdas.shared.logic import order_status
from lambdas.shared.plumbing.idempotency import idempotent_on
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.schemas.events import parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

DEFAULT_REASON = "payment refunded"
# Where the workflow's Catch puts the error of the step that failed.
FAILURE_KEY = "error"


@idempotent_on("orderId")
def refund_payment(*, data: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(data)
    payment = payments_table.get_payment(state.orderId)
    failure = data.get(FAILURE_KEY)
    if payment is None or payment["status"] == PaymentStatus.DECLINED:
        if failure is None:
            raise NothingToRefund(f"order {state.orderId} has no charge to refund")
        return _nothing_charged(state.orderId, _failure_reason(failure, "not charged"))

    if payment["status"] == PaymentStatus.CHARGED:
        refund = payment_provider().refund(
            idempotency_key=state.orderId, payment_id=payment["paymentId"], amount=payment["amount"]
        )
        payment = payments_table.record_refund(state.orderId, refund.refund_id)

    reason = ((state.inventory.reason if state.inventory else None)
              or (_failure_reason(failure, "refunded") if failure else DEFAULT_REASON))
    result = order_status.transition(state.orderId, OrderStatus.REFUNDED, reason=reason)
    if result.status is not OrderStatus.REFUNDED:
        get_logger().warning("Payment refunded but the order is not REFUNDED",
                             extra={"status": result.status.value})
    count("PaymentsRefunded")
    return {"refunded": True, "refundId": payment["refundId"]}


def _failure_reason(failure: Any, outcome: str) -> str:
    error = failure.get("Error") if isinstance(failure, dict) else None
    return f"{outcome}: a workflow step failed ({error or 'unknown error'})"


def _nothing_charged(order_id: str, reason: str) -> dict[str, Any]:
    """A step failed before anything was charged: the order ends REJECTED, no money moved."""
    order_status.transition(order_id, OrderStatus.REJECTED, reason=reason)
    count("FailedOrdersNotCharged")
    return {"refunded": False, "refundId": None}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return refund_payment(data=event, lambda_context=context)


handler = instrument(_handle, correlation_id_path="orderId")
