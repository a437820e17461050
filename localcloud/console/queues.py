"""The queues page: every SQS queue with its depth and redrive policy, a queue's messages
peeked, and the redrive button of a dead-letter queue.

Peeking receives with `VisibilityTimeout=0`, so the messages stay visible to their consumers
at once; like the AWS console's "poll for messages" it counts as a receive (on a source queue,
`maxReceiveCount` receives move a message to its DLQ). Redrive is the project's own
`ops.redrive` (`python -m ops redrive`): StartMessageMoveTask where the endpoint has it, else
receive / send / delete to where each message failed (source queue, EventBridge target, Lambda
function), with clients on the gateway so Invoke and PutEvents reach the local cloud."""

from __future__ import annotations

import io
import json
from typing import Any

from ops.redrive import Redrive

from localcloud.core.pagination import all_items

from .source import Source

PEEK = 10  # SQS gives at most 10 messages per receive
DEPTH = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
         "ApproximateNumberOfMessagesDelayed")


def queues(source: Source) -> list[dict[str, Any]]:
    """Each queue: name, url, arn, depth, its DLQ (by name), the queues it is the DLQ of, and
    whether it is a dead-letter queue of any kind (those get the redrive button)."""
    sqs = source.aws("sqs")
    rows = []
    for url in all_items(sqs, "list_queues", "QueueUrls"):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        rows.append({"name": url.rsplit("/", 1)[-1], "url": url, "arn": attributes["QueueArn"],
                     "depth": {k: int(attributes.get(k, 0)) for k in DEPTH},
                     "dlq": (policy.get("deadLetterTargetArn") or "").rsplit(":", 1)[-1] or None,
                     "max_receive_count": policy.get("maxReceiveCount"), "sources": []})
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        if row["dlq"] in by_name:
            by_name[row["dlq"]]["sources"].append(row["name"])
    others = dead_letter_arns(source)
    for row in rows:
        row["is_dlq"] = bool(row["sources"]) or row["arn"] in others
    return rows


def dead_letter_arns(source: Source) -> set[str]:
    """Queues that collect failures other than SQS redrive: EventBridge targets' DLQs,
    functions' asynchronous on-failure destinations and pipes' DLQs."""
    events = source.aws("events")
    registry = source.registry
    arns = {spec.async_config.on_failure_arn for spec in registry.functions.values()}
    arns |= {pipe.dead_letter_arn for pipe in registry.pipes}
    for bus in all_items(events, "list_event_buses", "EventBuses"):
        for rule in all_items(events, "list_rules", "Rules", EventBusName=bus["Name"]):
            for target in all_items(events, "list_targets_by_rule", "Targets",
                                    Rule=rule["Name"], EventBusName=bus["Name"]):
                arns.add(target.get("DeadLetterConfig", {}).get("Arn"))
    return {arn for arn in arns if arn and ":sqs:" in arn}


def peek(source: Source, name: str) -> list[dict[str, Any]]:
    """Up to PEEK messages of a queue, left visible."""
    sqs = source.aws("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=PEEK, VisibilityTimeout=0,
                                   AttributeNames=["All"], MessageAttributeNames=["All"])
    return [{"id": m["MessageId"], "body": m["Body"], "attributes": m.get("Attributes", {}),
             "message_attributes": {k: v.get("StringValue", "") for k, v in
                                    m.get("MessageAttributes", {}).items()}}
            for m in messages.get("Messages", [])]


def redrive(source: Source, name: str) -> dict[str, Any]:
    """Move every message of the queue back to where it failed; what was done, step by step."""
    out = io.StringIO()
    summary = Redrive(_GatewaySession(source), out).run(name)
    return {"queue": name, "moved": sum(summary.moved.values()), "skipped": summary.skipped,
            "failed": summary.failed, "method": summary.method,
            "log": out.getvalue() + summary.describe()}


class _GatewaySession:
    """What `Redrive` asks of a boto3 session: clients, here on the local cloud's gateway."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def client(self, service: str) -> Any:
        return self.source.aws(service, via_gateway=True)
