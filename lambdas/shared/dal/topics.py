"""Publishing to SNS topics (the warehouse topic, the ops-reports topic)."""

from __future__ import annotations

from lambdas.shared.plumbing.aws_clients import client


def publish(topic_arn: str, message: str, *, subject: str | None = None, attributes: dict[str, str] | None = None) -> str:
    """Publish `message`; `attributes` become String message attributes, which subscribers can
    filter on. Returns the SNS message id."""
    request = {
        "TopicArn": topic_arn,
        "Message": message,
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value} for name, value in (attributes or {}).items()
        },
    }
    if subject is not None:
        request["Subject"] = subject
    return client("sns").publish(**request)["MessageId"]
