"""Least privilege on the order side: each function's role allows exactly the actions its code
calls on exactly the ARNs it touches, and each function gets the environment of the contract
(docs/contracts.md)."""

import json

import pytest

from components.builders.grants import IDEMPOTENCY_ACTIONS
from tests.unit.order_graph import (QUEUE, ROLE_POLICY, SECRET, STACKS, STATE_MACHINE,
                                    TABLE, TOPIC, allowing, environment, grants, role_policies,
                                    ses_identity_arn, settings)

ORDER_FUNCTIONS = ("create-order", "get-order", "process-order", "send-email",
                   "update-inventory", "notify-warehouse", "validate-order", "process-payment",
                   "reserve-inventory", "notify-customer", "refund-payment", "daily-report",
                  "order-placed-from-stream")
# The contract's environment of each function (beyond the Powertools variables).
CONTRACT_ENV = {
    "create-order": {"ORDERS_TABLE_NAME", "USERS_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME",
                     "ALLOWED_ORIGINS", "MAX_ORDER_AMOUNT"},
    "get-order": {"ORDERS_TABLE_NAME", "ALLOWED_ORIGINS"},
    "process-order": {"ORDERS_TABLE_NAME", "STATE_MACHINE_ARN"},
    "send-email": {"SENDER_EMAIL", "IDEMPOTENCY_TABLE_NAME"},
    "update-inventory": {"INVENTORY_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME"},
    "notify-warehouse": {"WAREHOUSE_TOPIC_ARN", "IDEMPOTENCY_TABLE_NAME"},
    "validate-order": {"ORDERS_TABLE_NAME", "INVENTORY_TABLE_NAME", "MAX_ORDER_AMOUNT"},
    "process-payment": {"ORDERS_TABLE_NAME", "PAYMENTS_TABLE_NAME", "PAYMENT_SECRET_ARN",
                        "IDEMPOTENCY_TABLE_NAME"},
    "reserve-inventory": {"ORDERS_TABLE_NAME", "INVENTORY_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME"},
    "notify-customer": {"ORDERS_TABLE_NAME", "SENDER_EMAIL"},
    "refund-payment": {"ORDERS_TABLE_NAME", "PAYMENTS_TABLE_NAME", "PAYMENT_SECRET_ARN",
                       "IDEMPOTENCY_TABLE_NAME"},
    "daily-report": {"ORDERS_TABLE_NAME", "REPORTS_TABLE_NAME", "OPS_TOPIC_ARN"},
    # Pure shaping of the records the pipe hands over: no AWS call, no setting.
    "order-placed-from-stream": set(),
}
POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE",
                  "POWERTOOLS_TRACE_DISABLED"}
# Actions AWS does not scope to a resource: the only ones allowed on "*".
UNSCOPED = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
            "xray:GetSamplingTargets", "logs:CreateLogDelivery", "logs:GetLogDelivery",
            "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
            "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}


def expected_grants(graph, stack) -> dict[str, set]:
    def arn(name, typ):
        return graph.named(name, typ).outputs["arn"]

    orders, users = arn("orders-table", TABLE), arn("users-table", TABLE)
    idempotency, payments = arn("idempotency-table", TABLE), arn("payments-table", TABLE)
    inventory, reports = arn("inventory-table", TABLE), arn("reports-table", TABLE)
    secret = arn("payment-provider-key", SECRET)
    # In the SES sandbox (every shipped stack) recipients are identities of the account too.
    sender = {*allowing(["ses:SendEmail"], ses_identity_arn(
        settings(stack).notifications.sender_email)),
        ("ses:SendEmail", ses_identity_arn("*"))}
    failures = arn("fanout-failures", QUEUE)
    key = arn("messaging-key", "aws:kms/key:Key")
    remember = allowing(IDEMPOTENCY_ACTIONS, idempotency)
    return {
        "create-order": allowing(["dynamodb:GetItem"], users)
        | allowing(["dynamodb:GetItem", "dynamodb:PutItem"], orders) | remember,
        "get-order": allowing(["dynamodb:GetItem"], orders),
        "process-order": allowing(["dynamodb:GetItem", "dynamodb:UpdateItem"], orders)
        | allowing(["states:StartExecution"], arn("order-workflow", STATE_MACHINE))
        | allowing(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility"], arn("order-queue", QUEUE)),
        "send-email": sender | remember
        | allowing(["sqs:SendMessage"], failures),
        "update-inventory": allowing(["dynamodb:UpdateItem"], inventory) | remember
        | allowing(["sqs:SendMessage"], failures),
        "notify-warehouse": allowing(["sns:Publish"], arn("warehouse", TOPIC))
        | allowing(["kms:GenerateDataKey", "kms:Decrypt"], key)
        | remember | allowing(["sqs:SendMessage"], failures),
        "validate-order": allowing(["dynamodb:UpdateItem"], orders)
        | allowing(["dynamodb:BatchGetItem"], inventory),
        "process-payment": allowing(["dynamodb:UpdateItem"], orders)
        | allowing(["dynamodb:GetItem", "dynamodb:PutItem"], payments)
        | allowing(["secretsmanager:GetSecretValue"], secret) | remember,
        "reserve-inventory": allowing(["dynamodb:GetItem", "dynamodb:UpdateItem"], orders)
        | allowing(["dynamodb:UpdateItem"], inventory),
        "notify-customer": allowing(["dynamodb:GetItem", "dynamodb:UpdateItem"], orders)
        | sender,
        "refund-payment": allowing(["dynamodb:UpdateItem"], orders)
        | allowing(["dynamodb:GetItem", "dynamodb:UpdateItem"], payments)
        | allowing(["secretsmanager:GetSecretValue"], secret) | remember,
        "daily-report": allowing(["dynamodb:Query"], f"{orders}/index/byCreatedDate")
        | allowing(["dynamodb:PutItem"], reports)
        | allowing(["sns:Publish"], arn("ops-reports", TOPIC))
        | allowing(["kms:GenerateDataKey", "kms:Decrypt"], key)
        | allowing(["sqs:SendMessage"], arn("daily-report-dlq", QUEUE)),
        "order-placed-from-stream": set(),
    }


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", ORDER_FUNCTIONS)
def test_function_is_granted_exactly_what_its_code_calls(graphs, stack, name):
    graph = graphs[stack]
    assert grants(graph, name) == expected_grants(graph, stack)[name]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", ORDER_FUNCTIONS)
def test_function_gets_the_contract_environment(graphs, stack, name):
    assert set(environment(graphs[stack], name)) - POWERTOOLS_ENV == CONTRACT_ENV[name]


@pytest.mark.parametrize("stack", STACKS)
def test_no_policy_allows_every_action_and_only_unscoped_actions_use_every_resource(graphs,
                                                                                     stack):
    statements = [s for p in graphs[stack].of_type(ROLE_POLICY)
                  for s in json.loads(p.inputs["policy"])["Statement"]]
    assert statements
    for statement in statements:
        actions = statement["Action"]
        assert all("*" not in action for action in actions), statement
        if "*" in statement["Resource"]:
            assert set(actions) <= UNSCOPED, statement
            assert statement["Resource"] == ["*"], statement


@pytest.mark.parametrize("stack", STACKS)
def test_only_payment_and_refund_can_read_the_payment_key(graphs, stack):
    graph = graphs[stack]
    secret = graph.named("payment-provider-key", SECRET).outputs["arn"]
    readers = {p.inputs["role"] for p in graph.of_type(ROLE_POLICY)
               if secret in p.inputs["policy"] or "secretsmanager:" in p.inputs["policy"]}
    roles = {graph.named(f"{n}-role", "aws:iam/role:Role").outputs["id"]
             for n in ("process-payment", "refund-payment")}
    assert readers == roles


@pytest.mark.parametrize("stack", STACKS)
def test_email_is_sent_from_the_configured_identity(graphs, stack):
    graph = graphs[stack]
    email = settings(stack).notifications.sender_email
    identity = graph.named("sender-email", "aws:ses/emailIdentity:EmailIdentity").inputs
    assert identity["email"] == email
    for name in ("send-email", "notify-customer"):
        assert environment(graph, name)["SENDER_EMAIL"] == email
        sends = {r for a, r in grants(graph, name) if a == "ses:SendEmail"}
        assert f"arn:aws:ses:eu-west-1:123456789012:identity/{email}" in sends


@pytest.mark.parametrize("stack", STACKS)
def test_base_policies_stay_on_the_function_log_group(graphs, stack):
    # The grants above leave out each role's own logs/X-Ray policy; it must not grow.
    graph = graphs[stack]
    for name in ORDER_FUNCTIONS:
        base = [d for d in role_policies(graph, name, include_base=True)
                if d not in role_policies(graph, name)]
        assert len(base) == 1
        actions = {a for s in base[0]["Statement"] for a in s["Action"]}
        assert actions <= {"logs:CreateLogStream", "logs:PutLogEvents",
                           "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
