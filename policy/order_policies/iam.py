"""IAM: no wildcard actions, and `*` resources only where AWS offers nothing narrower."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from .model import Report, Resource, as_list, is_unknown, parse_json

# Documents by resource type: (property, kind). Identity policies scope resources; trust
# policies have none; resource policies name their own resource; in a KMS key policy `*`
# means "this key".
IDENTITY, TRUST, RESOURCE_POLICY, KEY_POLICY = "identity", "trust", "resource", "key"
DOCUMENTS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "aws:iam/rolePolicy:RolePolicy": (("policy", IDENTITY),),
    "aws:iam/policy:Policy": (("policy", IDENTITY),),
    "aws:iam/userPolicy:UserPolicy": (("policy", IDENTITY),),
    "aws:iam/groupPolicy:GroupPolicy": (("policy", IDENTITY),),
    "aws:iam/role:Role": (("assumeRolePolicy", TRUST),),
    "aws:sqs/queuePolicy:QueuePolicy": (("policy", RESOURCE_POLICY),),
    "aws:sqs/queue:Queue": (("policy", RESOURCE_POLICY),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", RESOURCE_POLICY),),
    "aws:sns/topic:Topic": (("policy", RESOURCE_POLICY),),
    "aws:kms/key:Key": (("policy", KEY_POLICY),),
}

# Actions without resource-level permissions, allowed on `*` (and only these):
# X-Ray (functions and the state machine send traces), and the log delivery actions Step
# Functions logging needs.
STAR_RESOURCE_ACTIONS = frozenset({
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "xray:GetSamplingRules", "xray:GetSamplingTargets",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
})


def documents(resource: Resource, report: Report) -> Iterator[tuple[str, str, dict]]:
    """(property, kind, document) for each known policy document of the resource."""
    entries = list(DOCUMENTS.get(resource.type, ()))
    if resource.type == "aws:iam/role:Role":
        # Deprecated in v7 but still accepted: inline policies are identity policies too.
        for i, inline in enumerate(as_list(resource.props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                yield from _parsed(resource, f"inlinePolicies[{i}].policy",
                                   inline.get("policy"), IDENTITY, report)
    for prop, kind in entries:
        yield from _parsed(resource, prop, resource.props.get(prop), kind, report)


def _parsed(resource: Resource, prop: str, value: Any, kind: str,
            report: Report) -> Iterator[tuple[str, str, dict]]:
    try:
        document = parse_json(value)
    except ValueError as error:
        report(f"{resource.label}: {prop} is not valid JSON ({error})", resource)
        return
    if isinstance(document, Mapping):
        yield prop, kind, dict(document)


def _allow_statements(document: dict) -> Iterator[tuple[int, dict]]:
    for i, statement in enumerate(as_list(document.get("Statement"))):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            yield i, dict(statement)


def _is_account_root(principal: Any) -> bool:
    """`{"AWS": "arn:aws:iam::<account>:root"}`: the key policy that delegates to IAM."""
    if not isinstance(principal, Mapping) or set(principal) != {"AWS"}:
        return False
    values = as_list(principal["AWS"])
    return bool(values) and all(isinstance(v, str) and (v.endswith(":root") or v.isdigit())
                                for v in values)


def no_wildcard_actions(resource: Resource, report: Report) -> None:
    """Resource rule: no Allow statement grants `*` or `service:*`, or uses NotAction.

    Exception: the KMS key policy statement that gives the account root `kms:*` (AWS's default
    key policy; without it the key can no longer be managed through IAM).
    """
    for prop, kind, document in documents(resource, report):
        for i, statement in _allow_statements(document):
            where = f"{resource.label} {prop} statement {statement.get('Sid') or i}"
            if "NotAction" in statement:
                report(f"{where} allows NotAction, which grants every other action: list the "
                       "actions instead", resource)
            wild = [a for a in as_list(statement.get("Action"))
                    if not is_unknown(a) and isinstance(a, str)
                    and (a == "*" or a.endswith(":*"))]
            if wild and kind == KEY_POLICY and _is_account_root(statement.get("Principal")):
                continue
            if wild:
                report(f"{where} allows {', '.join(wild)}: grant the exact actions the code "
                       "calls", resource)


def star_resources_only_where_required(resource: Resource, report: Report) -> None:
    """Resource rule: an Allow statement on Resource `*` lists only actions AWS cannot scope
    (`STAR_RESOURCE_ACTIONS`). Key policies are exempt: there `*` is the key itself.
    """
    for prop, kind, document in documents(resource, report):
        if kind in (KEY_POLICY, TRUST):
            continue
        for i, statement in _allow_statements(document):
            if "NotResource" in statement:
                report(f"{resource.label} {prop} statement {statement.get('Sid') or i} allows "
                       "NotResource, which grants every other resource: list the ARNs",
                       resource)
            if "*" not in as_list(statement.get("Resource")):
                continue
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            extra = sorted(set(actions) - STAR_RESOURCE_ACTIONS)
            if extra:
                report(f"{resource.label} {prop} statement {statement.get('Sid') or i} allows "
                       f"{', '.join(extra)} on Resource '*': scope it to the ARNs the code "
                       "touches (only X-Ray and Step Functions log-delivery actions may use '*')",
                       resource)


# Condition keys that tie a service principal to the caller's own resources.
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn")


def _condition_keys(statement: Mapping) -> set[str]:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return set()
    return {key.lower() for block in condition.values() if isinstance(block, Mapping)
            for key in block}


def service_principals_are_scoped(resource: Resource, report: Report) -> None:
    """Resource rule: in key, topic and queue policies, every Allow to a service principal
    carries an `aws:SourceAccount` or `aws:SourceArn` condition, or any other account's
    rule or alarm could make the service act on this key, topic or queue (confused deputy).
    """
    for prop, kind, document in documents(resource, report):
        if kind not in (RESOURCE_POLICY, KEY_POLICY):
            continue
        for i, statement in _allow_statements(document):
            principal = statement.get("Principal")
            if not isinstance(principal, Mapping) or "Service" not in principal:
                continue
            if not {k.lower() for k in SOURCE_KEYS} & _condition_keys(statement):
                services = ", ".join(str(s) for s in as_list(principal["Service"]))
                report(f"{resource.label} {prop} statement {statement.get('Sid') or i} lets "
                       f"{services} act with no {' or '.join(SOURCE_KEYS)} condition: limit "
                       "it to this account's sources", resource)
