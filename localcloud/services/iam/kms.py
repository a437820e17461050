"""The KMS requests AWS makes for a caller whose call uses a KMS key, and how KMS decides them.

Which calls of the platform touch a key (AWS Developer Guides of SNS, Secrets Manager, KMS):

- `sns:Publish` to a topic with `KmsMasterKeyId`: SNS asks KMS, as the publisher, for
  `kms:GenerateDataKey` and `kms:Decrypt` on the topic's key, via `sns.REGION.amazonaws.com`,
  with the encryption context `aws:sns:topicArn`;
- `secretsmanager:GetSecretValue`: Secrets Manager asks for `kms:Decrypt` on the secret's key,
  via `secretsmanager.REGION.amazonaws.com`, with the encryption context `SecretARN`. Without a
  `KmsKeyId` the secret uses the AWS-managed key `aws/secretsmanager`, whose key policy (written
  by AWS, not by the account; `aws_managed_key_policy`) lets every principal of the account use
  it through Secrets Manager;
- SQS with SQS-managed encryption and DynamoDB tables with the AWS-owned or AWS-managed key ask
  nothing of the caller.

KMS's decision (KMS Developer Guide, "Key policies"): the key policy is required. An explicit
deny in the key policy or in an identity policy wins; an allow in the key policy for the
principal allows; an identity policy's allow counts only when the key policy lets IAM policies
decide (an `Allow` naming the account, `arn:aws:iam::ACCOUNT:root`). The request carries
`kms:ViaService`, `kms:CallerAccount` and `kms:EncryptionContext:KEY`.
"""

from __future__ import annotations

from typing import Any

from localcloud.core.arns import Arn
from localcloud.core.faults import aws_error
from localcloud.core.http import GatewayRequest, HttpResponse

from .policy import Decision, Request, as_list, evaluate
from .resource_policy import Principal, evaluate_resource_policy

TOPIC_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
# What the documented key policy of an AWS-managed key allows through its service.
_MANAGED_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                        "kms:CreateGrant", "kms:DescribeKey")
# How the calling API answers a KMS deny: (status, code, message or None for KMS's own).
_DENIED = {"sns:Publish": (400, "KMSAccessDenied", None),
           "secretsmanager:GetSecretValue": (400, "AccessDeniedException",
                                             "Access to KMS is not allowed")}


def aws_managed_key_policy(service: str, region: str, account: str) -> dict:
    """The key policy AWS gives its managed key `aws/<service>` (as `get-key-policy` shows it)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": f"Allow access through {service} for all principals in the account that are "
                "authorized to use it",
         "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": list(_MANAGED_KEY_ACTIONS),
         "Resource": "*", "Condition": {"StringEquals": {
             "kms:CallerAccount": account, "kms:ViaService": f"{service}.{region}.amazonaws.com"}}},
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]}


def key_requests(actions: tuple[str, ...], key: str, via: str,
                 encryption_context: tuple[tuple[str, str], ...],
                 base: tuple[tuple[str, str], ...] = ()) -> list[Request]:
    """The KMS requests a service (`via`, e.g. "sns") makes on `key` for one call."""
    region, account = Arn.parse(key).region, Arn.parse(key).account
    context = (*base, ("kms:ViaService", f"{via}.{region}.amazonaws.com"),
               ("kms:CallerAccount", account),
               *((f"kms:EncryptionContext:{name}", value) for name, value in encryption_context))
    return [Request(action, key, context) for action in actions]


class KeyUses:
    """The KMS requests implied by a caller's request, with the key policy they are held to.

    `resources` (a `ResourcePolicies`): `topic_key(topic ARN)` and `secret_key(secret ARN)`
    give the key ARN (None: no key; for a secret, the AWS-managed key), `key_arn(alias)`
    resolves an alias, `policy(key ARN)` reads a key policy."""

    def __init__(self, resources: Any):
        self.resources = resources

    def implied(self, wanted: Request) -> list[tuple[Request, dict | None]]:
        if wanted.action == "sns:Publish":
            key = self.resources.topic_key(wanted.resource)
            if not key:
                return []
            policy = self.resources.policy(key)
            return [(r, policy) for r in key_requests(
                TOPIC_KEY_ACTIONS, key, "sns", (("aws:sns:topicArn", wanted.resource),))]
        if wanted.action == "secretsmanager:GetSecretValue":
            secret = Arn.parse(wanted.resource)
            key = self.resources.secret_key(wanted.resource)
            if key:
                policy = self.resources.policy(key)
            else:
                key = self.resources.key_arn("alias/aws/secretsmanager")
                policy = aws_managed_key_policy("secretsmanager", secret.region, secret.account)
            return [(r, policy) for r in key_requests(
                ("kms:Decrypt",), key, "secretsmanager", (("SecretARN", wanted.resource),))]
        return []


def key_decision(identity: list[dict], key_policy: dict | None, principal: Principal,
                 request: Request) -> tuple[Decision, str]:
    """KMS's decision on a role session's request, and the kind of policy that decided a deny
    ("resource-based": the key policy, or "identity-based")."""
    by_key = evaluate_resource_policy(key_policy, principal, request)
    if by_key is Decision.EXPLICIT_DENY:
        return by_key, "resource-based"
    by_identity = evaluate(identity, request)
    if by_identity is Decision.EXPLICIT_DENY:
        return by_identity, "identity-based"
    if by_key is Decision.ALLOW:
        return Decision.ALLOW, "resource-based"
    if by_identity is Decision.ALLOW:
        return ((Decision.ALLOW, "identity-based") if _delegates(key_policy, principal, request)
                else (Decision.IMPLICIT_DENY, "resource-based"))
    return Decision.IMPLICIT_DENY, "identity-based"


def _delegates(key_policy: dict | None, principal: Principal, request: Request) -> bool:
    """Whether an Allow of the key policy naming the account applies: IAM policies then count."""
    account = Principal(principal.account)
    statements = [s for s in as_list((key_policy or {}).get("Statement", []))
                  if s.get("Effect") == "Allow" and "Principal" in s
                  and account.names(s["Principal"], delegation=True)]
    return evaluate([{"Statement": statements}], request) is Decision.ALLOW


def kms_denied_response(request: GatewayRequest, api: str, message: str) -> HttpResponse:
    """The calling API's error for a KMS deny (SNS: KMSAccessDenied with KMS's message)."""
    status, code, own = _DENIED.get(api, (400, "AccessDeniedException", None))
    return aws_error(request, status, code, own or (
        f"{message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"))
