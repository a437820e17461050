"""send-email: order-received email through SES, once per order."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from lambdas.events import send_email
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import order_placed_event


def test_order_received_email_is_sent(order_cloud, lambda_context):
    result = send_email.handler(order_placed_event("o-1"), lambda_context)

    assert result["orderId"] == "o-1"
    assert result["messageId"]
    assert order_cloud.emails_sent() == 1


def test_redelivered_event_sends_one_email(order_cloud, lambda_context):
    event = order_placed_event("o-1")

    first = send_email.handler(event, lambda_context)
    second = send_email.handler(order_placed_event("o-1"), lambda_context)  # new event id, same order

    assert second == first
    assert order_cloud.emails_sent() == 1


def test_each_order_gets_its_email(order_cloud, lambda_context):
    send_email.handler(order_placed_event("o-1"), lambda_context)
    send_email.handler(order_placed_event("o-2"), lambda_context)

    assert order_cloud.emails_sent() == 2


def test_failure_is_raised_for_lambda_retries(order_cloud, lambda_context, monkeypatch):
    monkeypatch.setenv("SENDER_EMAIL", "unverified@example.com")

    with pytest.raises(ClientError):
        send_email.handler(order_placed_event("o-1"), lambda_context)

    # The failed attempt leaves no idempotency record behind, so a retry can send.
    monkeypatch.setenv("SENDER_EMAIL", "orders@example.com")
    send_email.handler(order_placed_event("o-1"), lambda_context)
    assert order_cloud.emails_sent() == 1


def test_malformed_event_is_refused(order_cloud, lambda_context):
    event = order_placed_event("o-1")
    del event["detail"]["customerEmail"]

    with pytest.raises(ValidationError):
        send_email.handler(event, lambda_context)
    assert order_cloud.emails_sent() == 0
