"""Least-privilege grants: exact actions on exact ARNs, one inline policy per grant.

Each function lists the actions its code calls; these constants name the sets that several
functions share so that a grant reads like what the code does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi

# Powertools idempotency reads, writes, updates and deletes its records.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                       "dynamodb:DeleteItem")
# An SQS event source mapping polls and deletes on the function's behalf.
SQS_CONSUMER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                        "sqs:ChangeMessageVisibility")
# X-Ray does not support resource-level permissions: `*` is the documented exception.
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
# Writing to a log group the program created.
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# Publishing to a KMS-encrypted topic needs a data key from the topic's KMS key.
ENCRYPTED_PUBLISH_KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


@dataclass(frozen=True)
class Allow:
    """One IAM statement: these actions on these resources (under these conditions)."""

    actions: Sequence[str]
    resources: Sequence[pulumi.Input[str]]
    conditions: Optional[Mapping[str, Mapping[str, pulumi.Input[str]]]] = None


def publish_to_encrypted_topic(topic_arn: pulumi.Input[str],
                               key_arn: pulumi.Input[str]) -> tuple[Allow, Allow]:
    """`sns:Publish` on one encrypted topic, and the data key its KMS key must give for it."""
    return (Allow(["sns:Publish"], [topic_arn]),
            Allow(ENCRYPTED_PUBLISH_KMS_ACTIONS, [key_arn]))


def policy_document(*statements: Allow) -> pulumi.Output[str]:
    """An IAM policy document as JSON, with the resources resolved."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": sorted(set(s.actions)), "Resource": list(s.resources),
             **({"Condition": dict(s.conditions)} if s.conditions else {})}
            for s in statements
        ],
    })


def assume_role_policy(service: str) -> str:
    """A trust policy letting one AWS service assume the role."""
    import json

    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": service}}],
    })
