"""Data at rest: DynamoDB recovery and protection in production, encrypted queues and topics."""

from __future__ import annotations

from .model import Report, Resource, is_unknown, present

TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
# EventBridge and CloudWatch cannot use the AWS-managed SNS key: their publishes are dropped.
AWS_MANAGED_SNS_KEY = "alias/aws/sns"


def dynamodb_production_protection(resource: Resource, report: Report) -> None:
    """Resource rule: production tables have point-in-time recovery and deletion protection."""
    if resource.type != TABLE or not resource.is_production:
        return
    if resource.get("pointInTimeRecovery", "enabled") is not True \
            and not is_unknown(resource.get("pointInTimeRecovery", "enabled")):
        report(f"{resource.label} has no point-in-time recovery in production: set "
               "point_in_time_recovery enabled", resource)
    protected = resource.props.get("deletionProtectionEnabled")
    if protected is not True and not is_unknown(protected):
        report(f"{resource.label} has no deletion protection in production: set "
               "deletion_protection_enabled", resource)


def queue_encryption(resource: Resource, report: Report) -> None:
    """Resource rule: SQS queues are encrypted (SQS-managed SSE or a KMS key)."""
    if resource.type != QUEUE:
        return
    sse = resource.props.get("sqsManagedSseEnabled")
    if sse is True or is_unknown(sse) or present(resource.props.get("kmsMasterKeyId")):
        return
    report(f"{resource.label} is not encrypted: set sqs_managed_sse_enabled=True (or "
           "kms_master_key_id)", resource)


def topic_encryption(resource: Resource, report: Report) -> None:
    """Resource rule: SNS topics use a customer-managed KMS key."""
    if resource.type != TOPIC:
        return
    key = resource.props.get("kmsMasterKeyId")
    if not present(key):
        report(f"{resource.label} is not encrypted: set kms_master_key_id to a customer-managed "
               "key whose policy lets the publishing services use it", resource)
    elif isinstance(key, str) and key.endswith(AWS_MANAGED_SNS_KEY):
        report(f"{resource.label} uses {AWS_MANAGED_SNS_KEY}: EventBridge and CloudWatch "
               "publishes to it are dropped; use a customer-managed key", resource)
