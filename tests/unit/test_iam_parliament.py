"""Every IAM policy document of the program passes `parliament` (with its community auditors).

A finding fails the test when parliament rates it above LOW, or when it is an unknown action or
service prefix (rated LOW by parliament, but always a typo that AWS rejects or ignores).
Every accepted finding is a suppression below, with its reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import parliament
import pytest
from parliament import analyze_policy_string, enhance_finding, override_config

from tests.unit.mocks import Resource

# The community auditors' findings (privilege escalation, credentials exposure, permissions
# management) are only rated once their config is loaded, as parliament's CLI does.
override_config(str(Path(parliament.__file__).parent / "community_auditors"
                    / "config_override.yaml"))

SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
ALWAYS_FAIL = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX"}

IDENTITY, TRUST, RESOURCE_POLICY, KEY_POLICY = "identity", "trust", "resource", "key"
# resource type -> (property holding the document, kind of document)
DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": ("policy", IDENTITY),
    "aws:iam/policy:Policy": ("policy", IDENTITY),
    "aws:iam/role:Role": ("assumeRolePolicy", TRUST),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy", RESOURCE_POLICY),
    "aws:sns/topicPolicy:TopicPolicy": ("policy", RESOURCE_POLICY),
    "aws:kms/key:Key": ("policy", KEY_POLICY),
}


@dataclass(frozen=True)
class Document:
    resource: Resource
    kind: str
    policy: dict


@dataclass(frozen=True)
class Suppression:
    issue: str
    applies: Callable[[Document, object], bool]
    reason: str


def _actions(finding) -> set[str]:
    return set(finding.location.get("actions") or [])


def _root_administers_key(document: Document) -> bool:
    """The statement that grants kms:* is the account root's, and no one else's."""
    grants = [s for s in document.policy["Statement"] if s.get("Action") == "kms:*"]
    return bool(grants) and all(
        str(s.get("Principal", {}).get("AWS", "")).endswith(":root") for s in grants)


SUPPRESSIONS = (
    Suppression(
        "CREDENTIALS_EXPOSURE",
        lambda doc, finding: doc.kind == TRUST,
        "A trust policy exists to let a service call sts:AssumeRole and receive the role's "
        "credentials; the Principal (one AWS service) is what limits it."),
    Suppression(
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        lambda doc, finding: doc.kind == KEY_POLICY and _root_administers_key(doc)
        and all(a.startswith("kms:") for a in _actions(finding)),
        "AWS's default key policy: the account root holds kms:* on the key so that IAM "
        "policies can manage it; without it the key becomes unmanageable."),
    Suppression(
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        lambda doc, finding: doc.kind == IDENTITY
        and _actions(finding) == {"logs:putresourcepolicy"},
        "Step Functions logging to CloudWatch Logs requires logs:PutResourcePolicy (on '*', "
        "as AWS documents) so the service can write to the state machine's log group."),
    Suppression(
        "RESOURCE_MISMATCH",
        lambda doc, finding: doc.kind == IDENTITY and all(
            d.get("action") == "states:DescribeExecution" and ":express:" in d.get(
                "required_format", "") for d in (finding.detail or [])),
        "states:DescribeExecution takes a Standard execution (`execution:`) or an Express "
        "one (`express:`); parliament marks both required. The order workflow is Standard, "
        "so the sweeper is granted its `execution:` ARNs only."),
)


def documents(resources: list[Resource]) -> list[Document]:
    found = []
    for resource in resources:
        if resource.type not in DOCUMENTS:
            continue
        prop, kind = DOCUMENTS[resource.type]
        if not resource.inputs.get(prop):
            continue
        policy = json.loads(resource.inputs[prop])
        if kind == TRUST:
            # A trust policy has no Resource (it is the role itself). parliament reads every
            # document as an identity policy, so it is given the role as its Resource; that
            # way it still checks the actions and conditions.
            policy = {**policy, "Statement": [{**s, "Resource": resource.outputs["arn"]}
                                              for s in policy["Statement"]]}
        found.append(Document(resource, kind, policy))
    return found


def failing_findings(document: Document) -> list[str]:
    """parliament's findings on the document that no suppression accepts."""
    analysed = analyze_policy_string(json.dumps(document.policy), include_community_auditors=True)
    failing = []
    for finding in map(enhance_finding, analysed.findings):
        serious = SEVERITIES.index(finding.severity) > SEVERITIES.index("LOW")
        if not (serious or finding.issue in ALWAYS_FAIL):
            continue
        if any(s.issue == finding.issue and s.applies(document, finding) for s in SUPPRESSIONS):
            continue
        failing.append(f"{finding.issue} ({finding.severity}): {finding.detail} "
                       f"{finding.location}")
    return failing


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_every_policy_document_passes_parliament(graphs, stack):
    found = documents(graphs[stack].resources)
    assert {d.kind for d in found} >= {IDENTITY, TRUST}, "no IAM documents found in the graph"
    problems = {f"{d.resource.type} {d.resource.name}": failing_findings(d) for d in found}
    problems = {name: issues for name, issues in problems.items() if issues}
    assert not problems, json.dumps(problems, indent=2)


def _role_policy(*statements: dict) -> Document:
    resource = Resource("aws:iam/rolePolicy:RolePolicy", "probe", {}, {"arn": "x"})
    return Document(resource, IDENTITY, {"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize("statement, issue", [
    ({"Effect": "Allow", "Action": "dynamodb:GetItm",
      "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"}, "UNKNOWN_ACTION"),
    ({"Effect": "Allow", "Action": "dynamodb:GetItem",
      "Resource": "arn:aws:sqs:eu-west-1:123456789012:orders"}, "RESOURCE_MISMATCH"),
    ({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction",
                                    "lambda:InvokeFunction"], "Resource": "*"},
     "PRIVILEGE_ESCALATION"),
    ({"Effect": "Allow", "Action": "logs:PutResourcePolicy", "Resource": "*"},
     None),  # the documented Step Functions exception is accepted
])
def test_the_check_catches_broken_documents(statement, issue):
    failing = failing_findings(_role_policy(statement))
    if issue is None:
        assert failing == []
    else:
        assert any(f.startswith(issue) for f in failing), failing


def test_key_policy_suppression_covers_only_the_account_root():
    key = Resource("aws:kms/key:Key", "probe-key", {}, {"arn": "x"})
    statement = {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}
    assert failing_findings(Document(key, KEY_POLICY, {
        "Version": "2012-10-17", "Statement": [statement]})) == []
    shared = {**statement, "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"}}
    assert failing_findings(Document(key, KEY_POLICY, {
        "Version": "2012-10-17", "Statement": [shared]}))
