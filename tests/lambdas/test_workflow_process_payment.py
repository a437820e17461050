"""process-payment: charge through the provider, recorded; PAID, or REJECTED when declined."""

from __future__ import annotations

import boto3
import pytest

from lambdas.shared.dal import payment_provider as payments
from lambdas.shared.dal.payment_provider import PaymentConfigurationError
from lambdas.shared.plumbing import idempotency as orders_idempotency
from lambdas.workflow import process_payment
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import REGION, workflow_state


def payment_state(order_id: str = "o-1", **overrides):
    return workflow_state(order_id, validation={"valid": True, "reason": None}, **overrides)


@pytest.fixture
def charges(monkeypatch):
    """Count the provider's charges (the real test double underneath)."""
    calls = []
    real = payments.TestPaymentProvider.charge

    def counting(self, **kwargs):
        calls.append(kwargs)
        return real(self, **kwargs)

    monkeypatch.setattr(payments.TestPaymentProvider, "charge", counting)
    return calls


def test_payment_is_charged_and_recorded(order_cloud, lambda_context, charges):
    order_cloud.add_order("o-1", status="VALIDATED", amount="25.5")

    result = process_payment.handler(payment_state("o-1"), lambda_context)

    assert result["status"] == "SUCCESS"
    assert result["paymentId"].startswith("pay_")
    assert result["reason"] is None
    payment = order_cloud.tables["payments"].get_item(Key={"orderId": "o-1"})["Item"]
    assert payment["status"] == "CHARGED"
    assert payment["paymentId"] == result["paymentId"]
    assert str(payment["amount"]) == "25.5"
    assert "chargedAt" in payment
    assert order_cloud.order("o-1")["status"] == "PAID"
    assert len(charges) == 1


def test_declined_payment_rejects_the_order(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="VALIDATED", payment_token="tok_declined")

    result = process_payment.handler(payment_state("o-1", paymentToken="tok_declined"), lambda_context)

    assert result == {"status": "DECLINED", "paymentId": None, "reason": "payment declined"}
    assert order_cloud.tables["payments"].get_item(Key={"orderId": "o-1"})["Item"]["status"] == "DECLINED"
    stored = order_cloud.order("o-1")
    assert stored["status"] == "REJECTED"
    assert stored["history"][-1]["reason"] == "payment declined"


def test_retried_step_does_not_charge_twice(order_cloud, lambda_context, charges):
    order_cloud.add_order("o-1", status="VALIDATED")

    first = process_payment.handler(payment_state("o-1"), lambda_context)
    second = process_payment.handler(payment_state("o-1"), lambda_context)

    assert second == first
    assert len(charges) == 1
    assert order_cloud.tables["payments"].scan()["Count"] == 1


def test_recorded_charge_is_reused_even_without_the_idempotency_record(order_cloud, lambda_context, charges):
    order_cloud.add_order("o-1", status="VALIDATED")
    first = process_payment.handler(payment_state("o-1"), lambda_context)
    # Lose the idempotency record (expired, or deleted): the payments item still guards.
    idempotency = order_cloud.tables["idempotency"]
    for item in idempotency.scan()["Items"]:
        idempotency.delete_item(Key={"id": item["id"]})
    orders_idempotency.reset()

    second = process_payment.handler(payment_state("o-1"), lambda_context)

    assert second == first
    assert len(charges) == 1


def test_missing_provider_key_fails_without_charging(order_cloud, lambda_context, charges):
    order_cloud.add_order("o-1", status="VALIDATED")
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=order_cloud.secret_arn, SecretString='{"apiKey": ""}'
    )

    with pytest.raises(PaymentConfigurationError):
        process_payment.handler(payment_state("o-1"), lambda_context)

    assert charges == []
    assert "Item" not in order_cloud.tables["payments"].get_item(Key={"orderId": "o-1"})
    assert order_cloud.order("o-1")["status"] == "VALIDATED"


def test_secret_may_hold_the_bare_key(order_cloud, lambda_context, charges):
    order_cloud.add_order("o-1", status="VALIDATED")
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=order_cloud.secret_arn, SecretString="sk_bare_key"
    )

    result = process_payment.handler(payment_state("o-1"), lambda_context)

    assert result["status"] == "SUCCESS"
    assert len(charges) == 1
