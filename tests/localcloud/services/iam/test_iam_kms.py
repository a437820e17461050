"""The KMS requests AWS makes for a function's call (publish to an encrypted topic, read a
secret), held to the role's policies and the key policy as KMS holds them; secret policies."""

from __future__ import annotations

import json

import pytest

from localcloud.services.iam.enforcer import IamEnforcer
from tests.localcloud.services.iam.iam_support import signed
# moto in process, and a function role (one read granted): the enforcer tests' fixtures.
from tests.localcloud.services.iam.test_iam_enforcer import aws, role  # noqa: F401
from tests.localcloud.services.iam.policy_documents import allow, deny, policy

ACCOUNT = "123456789012"
ROOT = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*", "Resource": "*"}


def grant(aws, name: str, *statements: dict) -> None:
    aws("iam").put_role_policy(RoleName="fn-role", PolicyName=name,
                               PolicyDocument=json.dumps(policy(*statements)))


def key(aws, *statements: dict) -> dict:
    return aws("kms").create_key(Policy=json.dumps(policy(*statements)))["KeyMetadata"]


@pytest.fixture
def enforcer(aws):
    return IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)


def publish(enforcer, role, topic):
    keys = enforcer.credentials(role, "notify-warehouse")
    return enforcer.intercept(signed("sns", "publish", credentials=keys, TopicArn=topic,
                                     Message="x"))


def encrypted_topic(aws, key_id: str) -> str:
    return aws("sns").create_topic(Name="warehouse", Attributes={
        "KmsMasterKeyId": key_id})["TopicArn"]


def test_publishing_to_an_encrypted_topic_needs_the_data_key_from_the_role(aws, role, enforcer):
    cmk = key(aws, ROOT)
    topic = encrypted_topic(aws, cmk["KeyId"])
    grant(aws, "publish", allow("sns:Publish", topic))
    denied = publish(enforcer, role, topic)
    assert denied.status == 400 and b"<Code>KMSAccessDenied</Code>" in denied.body
    assert (f"not authorized to perform: kms:GenerateDataKey on resource: {cmk['Arn']} because "
            "no identity-based policy allows the kms:GenerateDataKey action (Service: AWSKMS"
            ).encode() in denied.body
    grant(aws, "data-key", allow(["kms:GenerateDataKey", "kms:Decrypt"], cmk["Arn"]))
    enforcer._policies.clear()  # what an IAM write through the gateway does
    assert publish(enforcer, role, topic) is None


def test_a_key_policy_without_the_account_makes_the_role_s_kms_grant_count_for_nothing(
        aws, role, enforcer):
    cmk = key(aws, {**ROOT, "Action": "kms:Describe*"})
    topic = encrypted_topic(aws, cmk["KeyId"])
    grant(aws, "publish", allow("sns:Publish", topic),
          allow(["kms:GenerateDataKey", "kms:Decrypt"], cmk["Arn"]))
    denied = publish(enforcer, role, topic)
    assert b"because no resource-based policy allows the kms:GenerateDataKey" in denied.body


@pytest.mark.parametrize("via, context_topic, allowed", [
    ("sns.us-east-1.amazonaws.com", "warehouse", True),
    ("sqs.us-east-1.amazonaws.com", "warehouse", False),  # kms:ViaService of another service
    ("sns.us-east-1.amazonaws.com", "alerts", False),  # the context names another topic
])
def test_a_key_policy_naming_the_role_holds_it_to_via_service_and_encryption_context(
        aws, role, enforcer, via, context_topic, allowed):
    cmk = key(aws, ROOT)
    topic = encrypted_topic(aws, cmk["KeyId"])
    aws("kms").put_key_policy(KeyId=cmk["KeyId"], PolicyName="default", Policy=json.dumps(policy(
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": via}, "StringLike": {
             "kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:*:*:{context_topic}"}}})))
    grant(aws, "publish", allow("sns:Publish", topic))
    assert (publish(enforcer, role, topic) is None) is allowed


def get_secret(enforcer, role, secret_arn):
    keys = enforcer.credentials(role, "process-payment")
    return enforcer.intercept(signed("secretsmanager", "get_secret_value", credentials=keys,
                                     SecretId=secret_arn))


def test_a_secret_of_the_aws_managed_key_needs_no_kms_grant(aws, role, enforcer):
    arn = aws("secretsmanager").create_secret(Name="payment", SecretString="k")["ARN"]
    grant(aws, "read", allow("secretsmanager:GetSecretValue", arn))
    assert get_secret(enforcer, role, arn) is None
    grant(aws, "no-kms", deny("kms:Decrypt", "*"))  # an explicit deny still applies to it
    enforcer._policies.clear()
    body = json.loads(get_secret(enforcer, role, arn).body)
    assert body == {"__type": "AccessDeniedException", "message": "Access to KMS is not allowed"}
    (kms,) = [d for d in enforcer.stats()["denies"] if d["action"] == "kms:Decrypt"]
    assert kms["decision"] == "explicit deny" and kms["resource"].startswith("arn:aws:kms:")


def test_a_secret_of_a_customer_key_needs_kms_decrypt_on_that_key(aws, role, enforcer):
    cmk = key(aws, ROOT)
    arn = aws("secretsmanager").create_secret(Name="payment", SecretString="k",
                                              KmsKeyId=cmk["KeyId"])["ARN"]
    grant(aws, "read", allow("secretsmanager:GetSecretValue", arn))
    assert get_secret(enforcer, role, arn).status == 400
    (kms,) = enforcer.stats()["denies"]
    assert (kms["action"], kms["resource"]) == ("kms:Decrypt", cmk["Arn"])
    grant(aws, "decrypt", allow("kms:Decrypt", cmk["Arn"], Condition={"StringEquals": {
        "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}))
    enforcer._policies.clear()
    assert get_secret(enforcer, role, arn) is None


def test_a_deny_in_the_secret_s_resource_policy_beats_the_role_s_grant(aws, role, enforcer):
    secrets = aws("secretsmanager")
    arn = secrets.create_secret(Name="payment", SecretString="k")["ARN"]
    grant(aws, "read", allow("secretsmanager:GetSecretValue", arn))
    assert get_secret(enforcer, role, arn) is None
    secrets.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(policy(
        {"Effect": "Deny", "Principal": {"AWS": role}, "Action": "secretsmanager:*",
         "Resource": "*"})))
    enforcer.resources.invalidate()  # the gateway's watcher does this after the write
    body = json.loads(get_secret(enforcer, role, arn).body)
    assert body["__type"] == "AccessDeniedException"
    assert body["message"].endswith(f"perform: secretsmanager:GetSecretValue on resource: {arn} "
                                    "with an explicit deny in a resource-based policy")

