"""Resource-based policies (Lambda permissions, queue, topic and key policies): which statements
name a principal, and the decision of one account's identity and resource policies together.

Principal matching, as the IAM User Guide ("AWS JSON policy elements: Principal") documents it:
`"*"` and `{"AWS": "*"}` name everyone, AWS service principals included; `{"Service": NAME}`
names that service; a role ARN names every session of the role, an assumed-role ARN that one
session; the account (`"123456789012"` or `arn:aws:iam::123456789012:root`) names the account,
which for an `Allow` only delegates to the account's identity policies (it allows nothing by
itself) while a `Deny` on it applies to every principal of the account. `NotPrincipal` applies
to every principal it does not name.

Same-account evaluation ("Policy evaluation logic"): an explicit deny in any policy wins; else
an allow in the identity policies *or* in the resource policy is enough. A service principal has
no identity policies: its resource-policy allow is needed.

Statements are then evaluated by `policy.evaluate` (actions, resources, conditions): a service
principal's request carries `aws:SourceArn`, `aws:SourceAccount` and `aws:SourceOwner` (the
source's account, which SNS's default topic policy conditions on).
"""

from __future__ import annotations

from dataclasses import dataclass

from .policy import Decision, Request, as_list, evaluate


@dataclass(frozen=True)
class Principal:
    """Who calls: an AWS service (`service`) or a role session (`arn`, the assumed-role ARN)."""

    account: str
    service: str | None = None  # "events.amazonaws.com"
    arn: str | None = None  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION

    @property
    def name(self) -> str:
        return self.service or self.arn or self.account

    @property
    def role_arn(self) -> str | None:
        """The role of a session: arn:aws:iam::ACCOUNT:role/ROLE."""
        if not self.arn or ":assumed-role/" not in self.arn:
            return None
        role = self.arn.split(":assumed-role/", 1)[1].split("/")[0]
        return f"arn:aws:iam::{self.account}:role/{role}"

    def names(self, principal, *, delegation: bool) -> bool:
        """Whether a statement's `Principal` value names this principal; `delegation`: an
        account principal counts (Deny) or does not (Allow)."""
        if principal == "*":
            return True
        if not isinstance(principal, dict):
            return False
        services = as_list(principal.get("Service", []))
        if self.service:
            return self.service in services or "*" in as_list(principal.get("AWS", []))
        for value in as_list(principal.get("AWS", [])):
            if value == "*" or value in (self.arn, self.role_arn):
                return True
            if delegation and value in (self.account, f"arn:aws:iam::{self.account}:root"):
                return True
        return False


def _applies_to(statement: dict, principal: Principal) -> bool:
    delegation = statement.get("Effect") == "Deny"
    if "NotPrincipal" in statement:
        return not principal.names(statement["NotPrincipal"], delegation=delegation)
    return "Principal" in statement and principal.names(statement["Principal"],
                                                        delegation=delegation)


def evaluate_resource_policy(document: dict | None, principal: Principal,
                             request: Request) -> Decision:
    """The decision of one resource policy alone for this principal's request."""
    if not document:
        return Decision.IMPLICIT_DENY
    statements = [statement for statement in as_list(document.get("Statement", []))
                  if _applies_to(statement, principal)]
    return evaluate([{"Statement": statements}], request)


def combined(identity: Decision | None, resource: Decision) -> Decision:
    """Same account: an explicit deny anywhere wins, else an allow anywhere allows.
    `identity` None: a service principal, which has no identity policies."""
    decisions = (resource,) if identity is None else (identity, resource)
    if Decision.EXPLICIT_DENY in decisions:
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if Decision.ALLOW in decisions else Decision.IMPLICIT_DENY


def service_request(action: str, resource: str, source_arn: str,
                    context: tuple[tuple[str, str], ...] = ()) -> Request:
    """A service principal's request with the source keys AWS adds to it."""
    account = source_arn.split(":")[4] if source_arn.count(":") >= 5 else ""
    return Request(action, resource, (("aws:SourceArn", source_arn),
                                      ("aws:SourceAccount", account),
                                      ("aws:SourceOwner", account), *context))
