"""Topics and queues as the platform creates them: encrypted, with one resource policy each.

SNS topics use a customer-managed KMS key whose policy lets EventBridge and CloudWatch publish:
the AWS-managed `alias/aws/sns` key silently drops their messages. Every service principal is
held to this account's sources (`aws:SourceAccount`/`aws:SourceArn`) against confused deputies.
Queues use SQS-managed encryption, which EventBridge, SNS and Lambda destinations can all send to.
SQS and SNS hold one policy per queue or topic, so every statement for one of them is given at
once (a second `QueuePolicy` on the same queue would overwrite the first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class ServiceSender:
    """An AWS service allowed to send to a queue or topic, for these source ARNs only."""

    service: str  # e.g. "events.amazonaws.com"
    source_arns: Sequence[pulumi.Input[str]]


@dataclass
class MessagingKeyArgs:
    account_id: str  # its root administers the key
    region: str
    deletion_window_days: int = 30  # how long a destroyed key can still be recovered


class MessagingKey(pulumi.ComponentResource):
    """The KMS key that encrypts the platform's SNS topics."""

    def __init__(self, name: str, args: MessagingKeyArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:MessagingKey", name, None, opts)
        account, region = args.account_id, args.region
        own_topics = {
            "kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{region}:{account}:*"}

        def publish(sid: str, service: str, source_conditions: dict) -> dict:
            """The service may use the key only to encrypt for this account's topics, and only
            for this account's own sources (no confused deputy)."""
            return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service},
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
                    "Condition": {**source_conditions, "StringLike": own_topics}}

        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AccountAdministers", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                 "Action": "kms:*", "Resource": "*"},
                publish("AlarmsPublishToEncryptedTopics", "cloudwatch.amazonaws.com", {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:*"}}),
                # EventBridge's KMS requests for an SNS target may lack the source keys (a
                # plain StringEquals would then drop every delivery silently): checked when
                # present, and the encryption context pins the key to this account's topics.
                publish("RulesPublishToEncryptedTopics", "events.amazonaws.com", {
                    "StringEqualsIfExists": {"aws:SourceAccount": account},
                    "ArnLikeIfExists": {
                        "aws:SourceArn": f"arn:aws:events:{region}:{account}:rule/*"}}),
            ],
        }
        self.key = aws.kms.Key(name, description="Encrypts the order platform's SNS topics",
                               enable_key_rotation=True, policy=json.dumps(policy),
                               deletion_window_in_days=args.deletion_window_days,
                               opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})


def _account_of(arns: Sequence[str]) -> list[str]:
    """The accounts owning the source ARNs (the account field of each)."""
    return sorted({arn.split(":")[4] for arn in arns})


def _service_statements(action: str, resource: pulumi.Input[str],
                        senders: Sequence[ServiceSender]) -> pulumi.Output[str]:
    """One statement per service, for its source ARNs and their account only."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": f"Allow{s.service.split('.')[0].capitalize()}", "Effect": "Allow",
             "Principal": {"Service": s.service}, "Action": action, "Resource": resource,
             "Condition": {
                 "ArnEquals": {"aws:SourceArn": list(s.source_arns)},
                 "StringEquals": {"aws:SourceAccount": pulumi.Output.all(
                     *s.source_arns).apply(_account_of)}}}
            for s in senders
        ],
    })


def encrypted_topic(name: str, key: MessagingKey, parent: pulumi.Resource,
                    senders: Sequence[ServiceSender] = ()) -> aws.sns.Topic:
    """A KMS-encrypted topic; `senders` get `sns:Publish` through the topic policy."""
    topic = aws.sns.Topic(name, kms_master_key_id=key.key.id,
                          opts=pulumi.ResourceOptions(parent=parent))
    if senders:
        aws.sns.TopicPolicy(f"{name}-policy", arn=topic.arn,
                            policy=_service_statements("sns:Publish", topic.arn, senders),
                            opts=pulumi.ResourceOptions(parent=parent))
    return topic


def dead_letter_queue(name: str, parent: pulumi.Resource,
                      opts: Optional[pulumi.ResourceOptions] = None) -> aws.sqs.Queue:
    """A queue that keeps failed messages for 14 days."""
    return aws.sqs.Queue(name, message_retention_seconds=DLQ_RETENTION_SECONDS,
                         sqs_managed_sse_enabled=True,
                         opts=pulumi.ResourceOptions.merge(
                             pulumi.ResourceOptions(parent=parent), opts))


def allow_senders(name: str, queue: aws.sqs.Queue, senders: Sequence[ServiceSender],
                  parent: pulumi.Resource) -> aws.sqs.QueuePolicy:
    """The queue's one policy: `sqs:SendMessage` for each service from its source ARNs."""
    return aws.sqs.QueuePolicy(name, queue_url=queue.url,
                               policy=_service_statements("sqs:SendMessage", queue.arn, senders),
                               opts=pulumi.ResourceOptions(parent=parent))
