"""Customer email, sent with SES from `SENDER_EMAIL` (a verified identity)."""

from __future__ import annotations

from lambdas.shared.plumbing.aws_clients import client
from lambdas.shared.plumbing.settings import EmailEnv


def send_email(to: str, subject: str, body: str) -> str:
    """Send a plain-text email; returns the SES message id."""
    response = client("ses").send_email(
        Source=EmailEnv.load().SENDER_EMAIL,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]
