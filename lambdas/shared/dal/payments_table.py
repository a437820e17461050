"""Payment records (payments table): one item per order, written once per charge attempt and
changed once by a refund. Conditional writes make both safe to repeat."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from lambdas.shared.dal.dynamo import is_condition_failure, table
from lambdas.shared.plumbing.aws_clients import client_error
from lambdas.shared.dal.payment_provider import Charge
from lambdas.shared.plumbing.clock import iso_utc
from lambdas.shared.plumbing.settings import PaymentsEnv


class PaymentStatus(StrEnum):
    CHARGED = "CHARGED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"


class NothingToRefund(RuntimeError):
    """The order has no charge that could be refunded."""


def _payments() -> Any:
    return table(PaymentsEnv.load().PAYMENTS_TABLE_NAME)


def get_payment(order_id: str) -> dict[str, Any] | None:
    response = _payments().get_item(Key={"orderId": order_id}, ConsistentRead=True)
    return response.get("Item")


def record_charge(order_id: str, amount: Decimal, charge: Charge) -> dict[str, Any]:
    """Store the outcome of the order's charge; if one is already stored, keep and return it."""
    item: dict[str, Any] = {
        "orderId": order_id,
        "status": (PaymentStatus.CHARGED if charge.approved else PaymentStatus.DECLINED).value,
        "amount": amount,
        "chargedAt": iso_utc(),
    }
    if charge.payment_id:
        item["paymentId"] = charge.payment_id
    if charge.reason:
        item["reason"] = charge.reason
    try:
        _payments().put_item(Item=item, ConditionExpression="attribute_not_exists(orderId)")
    except client_error() as error:
        if not is_condition_failure(error):
            raise
        return get_payment(order_id) or item
    return item


def record_refund(order_id: str, refund_id: str) -> dict[str, Any]:
    """Mark the order's charge REFUNDED with `refund_id`; a refund already recorded is kept."""
    try:
        response = _payments().update_item(
            Key={"orderId": order_id},
            UpdateExpression="SET #status = :refunded, refundId = :refundId, refundedAt = :at",
            ConditionExpression="#status = :charged",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":refunded": PaymentStatus.REFUNDED.value,
                ":charged": PaymentStatus.CHARGED.value,
                ":refundId": refund_id,
                ":at": iso_utc(),
            },
            ReturnValues="ALL_NEW",
        )
    except client_error() as error:
        if not is_condition_failure(error):
            raise
        payment = get_payment(order_id)
        if payment and payment["status"] == PaymentStatus.REFUNDED:
            return payment
        raise NothingToRefund(f"order {order_id} has no charge to refund") from error
    return response["Attributes"]
