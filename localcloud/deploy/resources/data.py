"""Stateful services held by moto: DynamoDB, SQS, SNS, Secrets Manager, KMS, SES."""

from __future__ import annotations

import json
import uuid

from localcloud.core.registry import SnsLambdaSubscription
from .base import Context, as_int, drop_none, physical_name, tag_list


def _key_schema(item: dict) -> list[dict]:
    if item.get("keySchemas"):
        return [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]}
                for k in item["keySchemas"]]
    schema = [{"AttributeName": item["hashKey"], "KeyType": "HASH"}]
    if item.get("rangeKey"):
        schema.append({"AttributeName": item["rangeKey"], "KeyType": "RANGE"})
    return schema


def _projection(item: dict) -> dict:
    return drop_none({"ProjectionType": item.get("projectionType", "ALL"),
                      "NonKeyAttributes": item.get("nonKeyAttributes")})


def table(ctx: Context, name: str, inputs: dict):
    ddb = ctx.aws("dynamodb")
    table_name = physical_name(inputs, name, max_len=255, allowed=r"[^A-Za-z0-9_.-]")
    billing = inputs.get("billingMode") or "PROVISIONED"
    throughput = {"ReadCapacityUnits": as_int(inputs.get("readCapacity"), 5),
                  "WriteCapacityUnits": as_int(inputs.get("writeCapacity"), 5)}

    def index(item: dict, provisioned: bool) -> dict:
        result = {"IndexName": item["name"], "KeySchema": _key_schema(item),
                  "Projection": _projection(item)}
        if provisioned:
            result["ProvisionedThroughput"] = {
                "ReadCapacityUnits": as_int(item.get("readCapacity"), 5),
                "WriteCapacityUnits": as_int(item.get("writeCapacity"), 5)}
        return result

    stream = None
    if inputs.get("streamEnabled"):
        stream = {"StreamEnabled": True,
                  "StreamViewType": inputs.get("streamViewType") or "NEW_AND_OLD_IMAGES"}
    created = ddb.create_table(**drop_none({
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]}
                                 for a in inputs.get("attributes") or []],
        "KeySchema": _key_schema(inputs),
        "BillingMode": billing,
        "ProvisionedThroughput": throughput if billing == "PROVISIONED" else None,
        "GlobalSecondaryIndexes": [index(i, billing == "PROVISIONED")
                                   for i in inputs.get("globalSecondaryIndexes") or []],
        "LocalSecondaryIndexes": [index(i, False) for i in inputs.get("localSecondaryIndexes") or []],
        "StreamSpecification": stream,
        "Tags": tag_list(inputs.get("tags")),
        "DeletionProtectionEnabled": inputs.get("deletionProtectionEnabled"),
    }))["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl["attributeName"]})
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        ddb.update_continuous_backups(TableName=table_name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    return table_name, {"arn": created["TableArn"], "name": table_name,
                        "streamArn": created.get("LatestStreamArn"),
                        "streamLabel": created.get("LatestStreamLabel")}


_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "redrivePolicy": "RedrivePolicy",
    "redriveAllowPolicy": "RedriveAllowPolicy",
    "policy": "Policy",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "deduplicationScope": "DeduplicationScope",
    "fifoThroughputLimit": "FifoThroughputLimit",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
}


def _attribute(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def queue(ctx: Context, name: str, inputs: dict):
    queue_name = physical_name(inputs, name, max_len=80)
    if inputs.get("fifoQueue") and not queue_name.endswith(".fifo"):
        queue_name = queue_name[:75] + ".fifo"
    attributes = {attr: _attribute(inputs[key]) for key, attr in _QUEUE_ATTRIBUTES.items()
                  if inputs.get(key) not in (None, "")}
    sqs = ctx.aws("sqs")
    url = sqs.create_queue(QueueName=queue_name, Attributes=attributes,
                           **drop_none({"tags": {k: str(v) for k, v in
                                                 (inputs.get("tags") or {}).items()}}))["QueueUrl"]
    arn = ctx.arn("sqs", queue_name)
    return url, {"arn": arn, "url": url, "name": queue_name}


def queue_policy(ctx: Context, name: str, inputs: dict):
    ctx.aws("sqs").set_queue_attributes(QueueUrl=inputs["queueUrl"],
                                        Attributes={"Policy": _attribute(inputs["policy"])})
    return inputs["queueUrl"], {}


def topic(ctx: Context, name: str, inputs: dict):
    topic_name = physical_name(inputs, name, max_len=256)
    if inputs.get("fifoTopic") and not topic_name.endswith(".fifo"):
        topic_name += ".fifo"
    attributes = drop_none({
        "DisplayName": inputs.get("displayName"),
        "Policy": _attribute(inputs["policy"]) if inputs.get("policy") else None,
        "FifoTopic": "true" if inputs.get("fifoTopic") else None,
        "ContentBasedDeduplication": "true" if inputs.get("contentBasedDeduplication") else None,
        "KmsMasterKeyId": inputs.get("kmsMasterKeyId"),
    })
    arn = ctx.aws("sns").create_topic(Name=topic_name, Attributes=attributes, **drop_none(
        {"Tags": tag_list(inputs.get("tags"))}))["TopicArn"]
    return arn, {"arn": arn, "name": topic_name}


def topic_policy(ctx: Context, name: str, inputs: dict):
    ctx.aws("sns").set_topic_attributes(TopicArn=inputs["arn"], AttributeName="Policy",
                                        AttributeValue=_attribute(inputs["policy"]))
    return inputs["arn"], {}


def topic_subscription(ctx: Context, name: str, inputs: dict):
    topic_arn, protocol, endpoint = inputs["topic"], inputs["protocol"], inputs["endpoint"]
    filter_policy = inputs.get("filterPolicy")
    if protocol == "lambda":
        # Registry only: moto would try to run the function itself on Publish.
        arn = f"{topic_arn}:{uuid.uuid4()}"
        with ctx.lock:
            ctx.registry.sns_lambda_subscriptions.append(SnsLambdaSubscription(
                subscription_arn=arn, topic_arn=topic_arn, function_arn=endpoint,
                filter_policy=_attribute(filter_policy) if filter_policy else None))
        return arn, {"arn": arn}
    attributes = drop_none({
        "FilterPolicy": _attribute(filter_policy) if filter_policy else None,
        "FilterPolicyScope": inputs.get("filterPolicyScope"),
        "RawMessageDelivery": "true" if inputs.get("rawMessageDelivery") else None,
        "RedrivePolicy": _attribute(inputs["redrivePolicy"]) if inputs.get("redrivePolicy") else None,
    })
    arn = ctx.aws("sns").subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint,
                                   Attributes=attributes,
                                   ReturnSubscriptionArn=True)["SubscriptionArn"]
    if protocol in ("email", "email-json", "sms", "http", "https"):
        ctx.note(f"SNS {protocol} subscriptions are stored; nothing is delivered to them")
    return arn, {"arn": arn}


def secret(ctx: Context, name: str, inputs: dict):
    secret_name = physical_name(inputs, name, max_len=512, allowed=r"[^\w/+=.@-]")
    created = ctx.aws("secretsmanager").create_secret(**drop_none({
        "Name": secret_name, "Description": inputs.get("description"),
        "KmsKeyId": inputs.get("kmsKeyId"), "Tags": tag_list(inputs.get("tags")),
    }))
    return created["ARN"], {"arn": created["ARN"], "name": secret_name}


def secret_version(ctx: Context, name: str, inputs: dict):
    args = {"SecretId": inputs["secretId"]}
    if inputs.get("secretString") is not None:
        args["SecretString"] = inputs["secretString"]
    elif inputs.get("secretBinary") is not None:
        import base64
        args["SecretBinary"] = base64.b64decode(inputs["secretBinary"])
    if inputs.get("versionStages"):
        args["VersionStages"] = inputs["versionStages"]
    created = ctx.aws("secretsmanager").put_secret_value(**args)
    return f"{created['ARN']}|{created['VersionId']}", {"arn": created["ARN"],
                                                        "versionId": created["VersionId"]}


def kms_key(ctx: Context, name: str, inputs: dict):
    created = ctx.aws("kms").create_key(**drop_none({
        "Description": inputs.get("description"), "KeyUsage": inputs.get("keyUsage"),
        "KeySpec": inputs.get("customerMasterKeySpec") or inputs.get("keySpec"),
        "Policy": inputs.get("policy"), "Tags": tag_list(inputs.get("tags"), "TagKey", "TagValue"),
    }))["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        ctx.aws("kms").enable_key_rotation(KeyId=created["KeyId"])
    return created["KeyId"], {"arn": created["Arn"], "keyId": created["KeyId"]}


def kms_alias(ctx: Context, name: str, inputs: dict):
    alias_name = inputs.get("name") or f"alias/{name}"
    ctx.aws("kms").create_alias(AliasName=alias_name, TargetKeyId=inputs["targetKeyId"])
    return alias_name, {"arn": ctx.arn("kms", alias_name), "name": alias_name,
                        "targetKeyArn": ctx.arn("kms", f"key/{inputs['targetKeyId']}")}


def ses_email_identity(ctx: Context, name: str, inputs: dict):
    email = inputs["email"]
    ctx.aws("ses").verify_email_identity(EmailAddress=email)  # moto verifies at once
    return email, {"arn": ctx.arn("ses", f"identity/{email}"), "email": email}


HANDLERS = {
    "aws:dynamodb/table:Table": table,
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": topic_subscription,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:secretsmanager/secretVersion:SecretVersion": secret_version,
    "aws:kms/key:Key": kms_key,
    "aws:kms/alias:Alias": kms_alias,
    "aws:ses/emailIdentity:EmailIdentity": ses_email_identity,
}
