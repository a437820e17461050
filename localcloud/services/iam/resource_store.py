"""The resource policies the local cloud evaluates, read from moto and cached until a write.

Lambda: the function's policy (`GetPolicy`, the statements `add-permission` made; moto returns
one policy for the function and its aliases, each statement's `Resource` naming the qualified
or unqualified ARN it was given for). SQS: the queue's `Policy` attribute. SNS: the topic's
`Policy` attribute (and its `KmsMasterKeyId`, resolved to the key's ARN). Secrets Manager: the
secret's resource policy (`put-resource-policy`) and its `KmsKeyId`. KMS: the key policy.
A resource without a policy (or that does not exist) has `None`.

The cache is cleared after moto accepted a write of these services through the gateway
(`routes`: add/remove-permission, delete-function, set-queue-attributes, set-topic-attributes,
put-key-policy, put/delete-resource-policy, creates, updates and deletes), so a change takes effect on the next delivery; clearing
it before the write would let a delivery meanwhile cache the old policy again.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Callable

from botocore.exceptions import ClientError

from localcloud.core.arns import Arn, function_ref
from localcloud.core.delivery import queue_url
from localcloud.core.faults import action_of
from localcloud.core.http import AfterForward, GatewayRequest, HttpResponse, RouteTable

# The writes (service, API) after which cached policies may be stale.
WRITES = {
    "sqs": {"SetQueueAttributes", "AddPermission", "RemovePermission", "CreateQueue",
            "DeleteQueue"},
    "sns": {"SetTopicAttributes", "AddPermission", "RemovePermission", "CreateTopic",
            "DeleteTopic"},
    "kms": {"PutKeyPolicy", "CreateKey", "ScheduleKeyDeletion", "CreateAlias", "UpdateAlias",
            "DeleteAlias"},
    "secretsmanager": {"PutResourcePolicy", "DeleteResourcePolicy", "UpdateSecret",
                       "CreateSecret", "DeleteSecret", "RestoreSecret"},
}
# Lambda's REST paths that change a function's policy (add/remove-permission) or delete it.
_LAMBDA_POLICY_WRITE = re.compile(r"^/2015-03-31/functions/[^/]+(/policy(/[^/]+)?)?/?$")


def is_policy_write(request: GatewayRequest) -> bool:
    """Whether a request may change a resource policy this module reads."""
    if request.method in ("POST", "DELETE") and _LAMBDA_POLICY_WRITE.match(request.path):
        return True
    named = action_of(request)
    return bool(named and named[1] in WRITES.get(named[0], ()))


class ResourcePolicies:
    """`policy(arn)`, `topic_key(arn)`, `secret_key(arn)` and `key_arn(alias)` from moto,
    cached until `invalidate()`."""

    def __init__(self, aws: Callable[[str], Any]):
        self.aws = aws  # service -> a boto3 client straight to moto
        self._cache: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def policy(self, arn: str) -> dict | None:
        """The resource policy of a function, queue, topic or key (None: none)."""
        return self._cached(("policy", arn), lambda: self._read_policy(arn))

    def topic_key(self, topic_arn: str) -> str | None:
        """The ARN of the KMS key encrypting a topic, if any."""
        return self._cached(("key", topic_arn), lambda: self._read_topic_key(topic_arn))

    def secret_key(self, secret_arn: str) -> str | None:
        """The ARN of the customer-managed KMS key of a secret (None: the AWS-managed key)."""
        return self._cached(("key", secret_arn), lambda: self._read_secret_key(secret_arn))

    def key_arn(self, key: str) -> str:
        """The ARN of a key named by alias or id (moto creates an AWS-managed alias's key on
        first use, as AWS does)."""
        return self._cached(("alias", key), lambda: self.aws("kms").describe_key(
            KeyId=key)["KeyMetadata"]["Arn"])

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def routes(self) -> RouteTable:
        return RouteTable(after_forward=[AfterForward("resource-policy writes", is_policy_write,
                                                      self._written)])

    def _written(self, request: GatewayRequest, response: HttpResponse) -> None:
        self.invalidate()

    def _cached(self, key: tuple[str, str], read: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = read()
        with self._lock:
            self._cache[key] = value
        return value

    def _read_policy(self, arn: str) -> dict | None:
        if not Arn.is_arn(arn):
            return None
        parsed = Arn.parse(arn)
        try:
            if parsed.service == "lambda":
                text = self.aws("lambda").get_policy(FunctionName=function_ref(arn)[0])["Policy"]
            elif parsed.service == "sqs":
                sqs = self.aws("sqs")
                text = sqs.get_queue_attributes(QueueUrl=queue_url(sqs, arn),
                                                AttributeNames=["Policy"]).get(
                    "Attributes", {}).get("Policy")
            elif parsed.service == "sns":
                text = self._topic_attributes(arn).get("Policy")
            elif parsed.service == "secretsmanager":
                text = self.aws("secretsmanager").get_resource_policy(
                    SecretId=arn).get("ResourcePolicy")
            elif parsed.service == "kms":
                text = self.aws("kms").get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
            else:
                return None
        except ClientError:  # no policy, or no such resource
            return None
        return json.loads(text) if text else None

    def _topic_attributes(self, topic_arn: str) -> dict:
        return self.aws("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]

    def _read_secret_key(self, secret_arn: str) -> str | None:
        try:
            key = self.aws("secretsmanager").describe_secret(SecretId=secret_arn).get("KmsKeyId")
            return self.aws("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"] if key else None
        except ClientError:
            return None

    def _read_topic_key(self, topic_arn: str) -> str | None:
        try:
            key = self._topic_attributes(topic_arn).get("KmsMasterKeyId")
            return self.aws("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"] if key else None
        except ClientError:
            return None
