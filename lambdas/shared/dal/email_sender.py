"""Customer email about orders, sent with SES from `SENDER_EMAIL` (a verified identity)."""

from __future__ import annotations

from lambdas.shared.aws_clients import client
from lambdas.shared.settings import require_env

SENDER_ENV = "SENDER_EMAIL"


def send_email(to: str, subject: str, body: str) -> str:
    """Send a plain-text email; returns the SES message id."""
    response = client("ses").send_email(
        Source=require_env(SENDER_ENV),
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]


def describe_items(items: list) -> str:
    """One line per order line, e.g. "  2 x p-1"."""
    return "\n".join(f"  {item.quantity} x {item.productId}" for item in items)
