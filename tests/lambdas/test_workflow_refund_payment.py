"""refund-payment: refund through the provider, recorded once; REFUNDED with the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lambdas.shared.dal import payment_provider as payments
from lambdas.shared.dal import payments_table
from lambdas.shared.dal.payment_provider import Charge
from lambdas.shared.dal.payments_table import NothingToRefund
from lambdas.shared.plumbing import idempotency as orders_idempotency
from lambdas.workflow import process_payment, refund_payment
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import workflow_state

OUT_OF_STOCK = {"reserved": False, "reason": "insufficient stock for p-2"}


@pytest.fixture
def refunds(monkeypatch):
    calls = []
    real = payments.TestPaymentProvider.refund

    def counting(self, **kwargs):
        calls.append(kwargs)
        return real(self, **kwargs)

    monkeypatch.setattr(payments.TestPaymentProvider, "refund", counting)
    return calls


@pytest.fixture
def paid_order(order_cloud, lambda_context):
    """An order charged by process-payment, whose stock could not be reserved."""
    order_cloud.add_order("o-1", status="VALIDATED")
    payment = process_payment.handler(workflow_state("o-1"), lambda_context)
    return workflow_state("o-1", payment=payment, inventory=OUT_OF_STOCK)


def test_refund_is_recorded(order_cloud, lambda_context, paid_order, refunds):
    result = refund_payment.handler(paid_order, lambda_context)

    assert result["refunded"] is True
    assert result["refundId"].startswith("re_")
    payment = order_cloud.tables["payments"].get_item(Key={"orderId": "o-1"})["Item"]
    assert payment["status"] == "REFUNDED"
    assert payment["refundId"] == result["refundId"]
    assert payment["refundedAt"] >= payment["chargedAt"]
    stored = order_cloud.order("o-1")
    assert stored["status"] == "REFUNDED"
    assert stored["history"][-1]["reason"] == "insufficient stock for p-2"
    assert refunds == [{"idempotency_key": "o-1", "payment_id": payment["paymentId"], "amount": payment["amount"]}]


def test_retried_refund_refunds_once(order_cloud, lambda_context, paid_order, refunds):
    first = refund_payment.handler(paid_order, lambda_context)
    second = refund_payment.handler(paid_order, lambda_context)

    orders_idempotency.reset()
    for item in order_cloud.tables["idempotency"].scan()["Items"]:
        order_cloud.tables["idempotency"].delete_item(Key={"id": item["id"]})
    third = refund_payment.handler(paid_order, lambda_context)  # the payments record still guards

    assert second == third == first
    assert len(refunds) == 1
    assert [entry["status"] for entry in order_cloud.order("o-1")["history"]].count("REFUNDED") == 1


def test_nothing_to_refund_fails_the_step(order_cloud, lambda_context, refunds):
    order_cloud.add_order("o-1", status="PAID")

    with pytest.raises(NothingToRefund):
        refund_payment.handler(workflow_state("o-1", inventory=OUT_OF_STOCK), lambda_context)

    assert refunds == []
    assert order_cloud.order("o-1")["status"] == "PAID"


STEP_FAILED = {"Error": "States.TaskFailed", "Cause": "reserve-inventory kept failing"}


def test_safety_net_refunds_a_charge_after_a_failed_step(order_cloud, lambda_context, paid_order,
                                                          refunds):
    state = {k: v for k, v in paid_order.items() if k != "inventory"}

    result = refund_payment.handler({**state, "error": STEP_FAILED}, lambda_context)

    assert result["refunded"] is True
    assert len(refunds) == 1
    stored = order_cloud.order("o-1")
    assert stored["status"] == "REFUNDED"
    assert "States.TaskFailed" in stored["history"][-1]["reason"]


def test_safety_net_refunds_a_charge_whose_order_never_became_paid(order_cloud, lambda_context,
                                                                    refunds):
    """process-payment charged, then failed before moving the order to PAID."""
    order_cloud.add_order("o-1", status="VALIDATED")
    payments_table.record_charge("o-1", Decimal("25.50"),
                                 Charge(approved=True, payment_id="pay_1", reason=None))

    result = refund_payment.handler(workflow_state("o-1", error=STEP_FAILED), lambda_context)

    assert result["refunded"] is True and len(refunds) == 1
    assert order_cloud.order("o-1")["status"] == "REFUNDED"


def test_safety_net_with_nothing_charged_rejects_the_order(order_cloud, lambda_context, refunds):
    order_cloud.add_order("o-1", status="VALIDATED")

    result = refund_payment.handler(workflow_state("o-1", error=STEP_FAILED), lambda_context)

    assert result == {"refunded": False, "refundId": None}
    assert refunds == []
    stored = order_cloud.order("o-1")
    assert stored["status"] == "REJECTED"
    assert "not charged" in stored["history"][-1]["reason"]
