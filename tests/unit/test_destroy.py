"""What `pulumi destroy` leaves on each stack (docs/first-deploy.md#what-pulumi-destroy-leaves).

Left behind are the resources marked `retain_on_delete` (and `protect`, which makes destroy
refuse until they are unprotected), plus what AWS keeps for a while after deletion: the KMS
key's pending-deletion window. Dev must destroy to nothing that keeps data or costs money.
"""

import re

import pytest

from tests.unit.mocks import ROOT
from tests.unit.order_graph import QUEUE, TABLE, settings

KEY = "aws:kms/key:Key"
USER_POOL = "aws:cognito/userPool:UserPool"
ACCOUNT_SETTING = ("aws:apigateway/account:Account", "aws:iam/role:Role",
                   "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
DOC = ROOT / "docs" / "first-deploy.md"

PROD_KEEPS = {
    # Data: every table, and the queues with the messages they hold (DLQs included).
    **{(TABLE, t): True for t in ("orders-table", "users-table", "inventory-table",
                                  "payments-table", "idempotency-table", "reports-table")},
    **{(QUEUE, q): True for q in ("order-queue", "order-dlq", "order-events-dlq",
                                  "fanout-failures", "daily-report-dlq", "outbox-dlq",
                                  "sweep-stuck-orders-dlq")},
    (USER_POOL, "user-pool"): True,
    # The regional API Gateway setting and the role it points at: kept, not protected.
    **{(t, n): False for t, n in zip(ACCOUNT_SETTING, ("api-account", "api-cloudwatch-role",
                                                      "api-cloudwatch-role-policy"))},
}


def kept(graph) -> dict[tuple[str, str], bool]:
    """(type, name) -> protected, of every resource destroy leaves in the account."""
    return {(r.type, r.name): r.options["protect"] for r in graph.resources
            if r.options.get("retain_on_delete") or r.options.get("protect")}


def test_prod_keeps_its_data_its_users_and_the_regional_setting(graphs):
    assert kept(graphs["prod"]) == PROD_KEEPS


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_dev_and_local_destroy_to_nothing(graphs, stack):
    assert kept(graphs[stack]) == {}


@pytest.mark.parametrize("stack,window", [("dev", 7), ("prod", 30), ("local", 7)])
def test_the_kms_key_waits_its_stack_window_after_destroy(graphs, stack, window):
    [key] = graphs[stack].of_type(KEY)
    assert key.inputs["deletionWindowInDays"] == window == settings(stack).kms_deletion_window_days


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_no_table_or_pool_protects_itself_from_deletion_outside_prod(graphs, stack):
    tables = graphs[stack].of_type(TABLE)
    pools = graphs[stack].of_type(USER_POOL)
    protected = stack == "prod"
    assert {t.inputs.get("deletionProtectionEnabled", False) for t in tables} == {protected}
    assert {p.inputs.get("deletionProtection", "INACTIVE") == "ACTIVE" for p in pools} == \
        {protected}


def test_the_destroy_table_names_everything_prod_keeps():
    section = DOC.read_text().split("## What `pulumi destroy` leaves", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z0-9-]+)`", section))
    assert {name for _, name in PROD_KEEPS} <= named
