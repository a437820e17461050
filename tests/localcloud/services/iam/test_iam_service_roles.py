"""A service acting as a role (an EventBridge Pipe): its requests held to the role's policies."""

from __future__ import annotations

from localcloud.services.iam.enforcer import IamEnforcer
from tests.localcloud.services.iam.policy_documents import TABLE
# moto in process, and a function role (one read granted): the enforcer tests' fixtures.
from tests.localcloud.services.iam.test_iam_enforcer import aws, role  # noqa: F401

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/orders"


def test_a_role_s_request_is_allowed_only_as_its_policies_allow(aws, role):
    enforcer = IamEnforcer("enforce", account_id="123456789012", aws=aws)
    assert enforcer.authorize_role(role, "outbox", "dynamodb:GetItem", TABLE) is None
    assert enforcer.authorize_role(role, "outbox", "events:PutEvents", BUS) == (
        "User: arn:aws:sts::123456789012:assumed-role/fn-role/outbox is not authorized to "
        f"perform: events:PutEvents on resource: {BUS} because no identity-based policy allows "
        "the events:PutEvents action")
    assert [d["role"] for d in enforcer.stats()["denies"]] == ["fn-role"]
    assert {r.action for r in enforcer.usage.requests("fn-role")} == {"dynamodb:GetItem"}


def test_report_and_off_let_the_role_s_request_through(aws, role):
    for mode, recorded in (("report", 1), ("off", 0)):
        enforcer = IamEnforcer(mode, account_id="123456789012", aws=aws)
        assert enforcer.authorize_role(role, "outbox", "events:PutEvents", BUS) is None
        assert len(enforcer.stats()["denies"]) == recorded
