"""notify-customer: "order confirmed" email through SES; CONFIRMED."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lambdas.shared.dal import orders_table
from lambdas.workflow import notify_customer
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import workflow_state


def test_customer_is_emailed_and_order_confirmed(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="RESERVED")

    result = notify_customer.handler(workflow_state("o-1"), lambda_context)

    assert result["notified"] is True
    assert result["messageId"]
    assert order_cloud.emails_sent() == 1
    stored = order_cloud.order("o-1")
    assert stored["status"] == "CONFIRMED"
    assert stored["confirmationMessageId"] == result["messageId"]


def test_retried_step_does_not_email_again(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="RESERVED")

    first = notify_customer.handler(workflow_state("o-1"), lambda_context)
    second = notify_customer.handler(workflow_state("o-1"), lambda_context)

    assert second == first
    assert order_cloud.emails_sent() == 1


def test_unverified_sender_fails_the_step(order_cloud, lambda_context, monkeypatch):
    order_cloud.add_order("o-1", status="RESERVED")
    monkeypatch.setenv("SENDER_EMAIL", "unverified@example.com")

    with pytest.raises(ClientError, match="not verified"):
        notify_customer.handler(workflow_state("o-1"), lambda_context)

    assert order_cloud.order("o-1")["status"] == "RESERVED"


SES_REFUSED = {"Error": "MessageRejected", "Cause": "Email address is not verified."}


def test_after_a_failed_email_step_the_order_is_confirmed_and_awaits_its_email(
        order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="RESERVED")

    result = notify_customer.handler(workflow_state("o-1", notificationError=SES_REFUSED),
                                     lambda_context)

    assert result == {"notified": False, "messageId": None}
    assert order_cloud.emails_sent() == 0
    stored = order_cloud.order("o-1")
    assert stored["status"] == "CONFIRMED"
    assert stored["confirmationEmailPending"] == "PENDING"
    assert "MessageRejected" in stored["history"][-1]["reason"]
    awaiting = list(orders_table.orders_awaiting_email("9999-12-31T00:00:00Z"))
    assert [order["orderId"] for order in awaiting] == ["o-1"]


def test_the_late_email_is_sent_once_and_clears_the_mark(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="RESERVED")
    notify_customer.handler(workflow_state("o-1", notificationError=SES_REFUSED), lambda_context)

    late = notify_customer.handler(workflow_state("o-1"), lambda_context)
    again = notify_customer.handler(workflow_state("o-1"), lambda_context)

    assert late["notified"] is True and again == late
    assert order_cloud.emails_sent() == 1
    stored = order_cloud.order("o-1")
    assert stored["confirmationMessageId"] == late["messageId"]
    assert "confirmationEmailPending" not in stored
    assert [h["status"] for h in stored["history"]].count("CONFIRMED") == 1
    assert list(orders_table.orders_awaiting_email("9999-12-31T00:00:00Z")) == []


def test_an_order_not_reserved_is_not_confirmed_without_email(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="PAID")

    with pytest.raises(notify_customer.OrderNotConfirmable, match="PAID"):
        notify_customer.handler(workflow_state("o-1", notificationError=SES_REFUSED),
                                lambda_context)

    assert order_cloud.order("o-1")["status"] == "PAID"
