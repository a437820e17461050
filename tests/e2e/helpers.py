"""Small black-box helpers: watch a topic or the bus through SQS (each watch queue's policy lets
only that topic or rule send to it, as AWS requires)."""

from __future__ import annotations

import json
import uuid


def new_queue(sqs, prefix: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"{prefix}-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    return url, arn


def allow_sender(sqs, url: str, arn: str, service: str, source_arn: str) -> None:
    """The queue's policy: `service` may send to it for `source_arn`."""
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sqs:SendMessage",
            "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}]})})


def subscribe_queue(sns, sqs, topic_arn: str) -> str:
    """An SQS queue subscribed (raw delivery) to a topic, to see what the topic publishes."""
    url, arn = new_queue(sqs, "watch")
    allow_sender(sqs, url, arn, "sns.amazonaws.com", topic_arn)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True)
    return url


def tap_bus(events, sqs, bus_name: str) -> str:
    """A rule of the test's own on the order bus, copying every order event to a queue."""
    url, arn = new_queue(sqs, "tap")
    rule = f"tap-{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=rule, EventBusName=bus_name,
                               EventPattern=json.dumps({"source": ["order.service"]}),
                               State="ENABLED")["RuleArn"]
    allow_sender(sqs, url, arn, "events.amazonaws.com", rule_arn)
    events.put_targets(Rule=rule, EventBusName=bus_name, Targets=[{"Id": "tap", "Arn": arn}])
    return url


def receive_all(sqs, url: str, *, wait: float = 1.0) -> list[dict]:
    """Every message currently in the queue (bodies parsed as JSON where possible)."""
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=int(wait), AttributeNames=["All"],
                                    MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            return messages
        for m in batch:
            try:
                m["Json"] = json.loads(m["Body"])
            except ValueError:
                m["Json"] = None
            messages.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
