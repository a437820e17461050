"""notify-customer: "order confirmed" email through SES; CONFIRMED."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

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
