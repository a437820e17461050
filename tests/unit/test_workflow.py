"""OrderWorkflow on the mocked graph: the deployed definition, its role, logging, tracing and
the payment provider key."""

import functools
import json

import pytest
from statelint.linter import Linter

from components.builders.workflow_definition import FUNCTIONS
from stack_settings import EXPRESS_MAX_SECONDS, ConfigError, settings_from_config
from tests.unit.mocks import evaluate, stack_config
from tests.unit.order_graph import (LOG_GROUP, ROLE, ROLE_POLICY, SECRET, SECRET_SIG,
                                    SECRET_VERSION, STACKS, STATE_MACHINE, custom_graph,
                                    custom_settings, environment, function, grants, prefix,
                                    settings)

LOG_DELIVERY = {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
        "xray:GetSamplingTargets"}


def state_machine(graph):
    return graph.named("order-workflow", STATE_MACHINE)


def definition(graph):
    return json.loads(state_machine(graph).inputs["definition"])


def role_statements(graph):
    policy = graph.named("order-workflow-policy", ROLE_POLICY)
    assert policy.inputs["role"] == graph.named("order-workflow-role", ROLE).outputs["id"]
    return json.loads(policy.inputs["policy"])["Statement"]


@pytest.mark.parametrize("stack", STACKS)
class TestStateMachine:
    def test_is_named_after_the_stack_and_exported(self, graphs, stack):
        sm = state_machine(graphs[stack])
        assert sm.inputs["name"] == f"{prefix(stack)}-order-workflow"
        assert graphs[stack].outputs["StateMachineArn"] == sm.outputs["arn"]

    def test_deployed_definition_passes_statelint(self, graphs, stack):
        assert Linter.validate(state_machine(graphs[stack]).inputs["definition"]) == []

    def test_tasks_invoke_the_stack_functions(self, graphs, stack):
        graph = graphs[stack]
        invoked = {s["Parameters"]["FunctionName"] for s in definition(graph)["States"].values()
                   if s["Type"] == "Task"}
        assert invoked == {function(graph, name).outputs["arn"] for name in FUNCTIONS}

    def test_timeout_comes_from_the_settings(self, graphs, stack):
        assert definition(graphs[stack])["TimeoutSeconds"] == \
            settings(stack).workflow.timeout_seconds

    def test_logs_to_a_vended_log_group_with_the_stack_retention(self, graphs, stack):
        graph = graphs[stack]
        group = graph.named("order-workflow-logs", LOG_GROUP)
        assert group.inputs["name"] == \
            f"/aws/vendedlogs/states/{state_machine(graph).inputs['name']}"
        assert group.inputs["name"].startswith("/aws/vendedlogs/states/")
        assert group.inputs["retentionInDays"] == settings(stack).log_retention_days
        logging = state_machine(graph).inputs["loggingConfiguration"]
        assert logging["logDestination"] == group.outputs["arn"] + ":*"
        assert logging["logDestination"].endswith(":*")

    def test_log_level_follows_the_stack(self, graphs, stack):
        logging = state_machine(graphs[stack]).inputs["loggingConfiguration"]
        # Prod logs failures only; no stack logs the order data (emails, payment tokens).
        expected = ("ERROR", False) if stack == "prod" else ("ALL", False)
        assert (logging["level"], logging["includeExecutionData"]) == expected

    def test_type_follows_the_stack(self, graphs, stack):
        assert state_machine(graphs[stack]).inputs["type"] == settings(stack).workflow.type

    def test_tracing_follows_the_stack(self, graphs, stack):
        tracing = state_machine(graphs[stack]).inputs["tracingConfiguration"]
        assert tracing == {"enabled": settings(stack).tracing}

    def test_depends_on_its_role_policy(self, graphs, stack):
        sm = state_machine(graphs[stack])
        assert ("aws:iam/rolePolicy:RolePolicy", "order-workflow-policy") in \
            sm.options["depends_on"]
        assert sm.inputs["roleArn"] == graphs[stack].named("order-workflow-role",
                                                           ROLE).outputs["arn"]

    def test_role_is_trusted_by_step_functions_only(self, graphs, stack):
        trust = json.loads(graphs[stack].named("order-workflow-role", ROLE)
                           .inputs["assumeRolePolicy"])
        assert [s["Principal"] for s in trust["Statement"]] == [
            {"Service": "states.amazonaws.com"}]

    def test_role_invokes_exactly_the_workflow_functions(self, graphs, stack):
        graph = graphs[stack]
        arns = [function(graph, name).outputs["arn"] for name in FUNCTIONS]
        [invoke] = [s for s in role_statements(graph) if "lambda:InvokeFunction" in s["Action"]]
        assert invoke["Action"] == ["lambda:InvokeFunction"]
        assert sorted(invoke["Resource"]) == sorted(arns + [f"{a}:*" for a in arns])

    def test_role_delivers_logs_and_traces_only_where_needed(self, graphs, stack):
        by_actions = {frozenset(s["Action"]): s["Resource"] for s in role_statements(graphs[stack])}
        assert by_actions[frozenset(LOG_DELIVERY)] == ["*"]
        assert (by_actions.get(frozenset(XRAY)) == ["*"]) is settings(stack).tracing
        assert len(by_actions) == 2 + settings(stack).tracing

    def test_functions_are_sized_as_workflow_functions(self, graphs, stack):
        sizing = settings(stack).functions.workflow
        for name in FUNCTIONS:
            fn = function(graphs[stack], name).inputs
            assert (fn["memorySize"], fn["timeout"]) == (sizing.memory, sizing.timeout)
            assert fn["environment"]["variables"]["POWERTOOLS_SERVICE_NAME"] == "workflow"


@pytest.mark.parametrize("stack", STACKS)
class TestPaymentProviderKey:
    def test_secret_has_no_fixed_name(self, graphs, stack):
        secret = graphs[stack].named("payment-provider-key", SECRET).inputs
        assert "name" not in secret
        assert secret["namePrefix"] == f"{prefix(stack)}-payment-provider-key-"

    def test_without_config_a_generated_key_is_stored_as_a_secret(self, graphs, stack):
        version = graphs[stack].named("payment-provider-key-version", SECRET_VERSION).inputs
        assert version["secretId"] == graphs[stack].named("payment-provider-key",
                                                          SECRET).outputs["id"]
        assert SECRET_SIG in version["secretString"]
        assert version["secretString"]["value"] == "generated-test-password"

    def test_a_generated_key_is_kept_across_updates(self, graphs, stack):
        """The random-password lookup answers anew on every run: the first value stays."""
        version = graphs[stack].named("payment-provider-key-version", SECRET_VERSION)
        assert version.options["ignore_changes"] == ["secret_string"]

    def test_the_functions_find_the_secret_by_arn(self, graphs, stack):
        graph = graphs[stack]
        secret_arn = graph.named("payment-provider-key", SECRET).outputs["arn"]
        for name in ("process-payment", "refund-payment"):
            assert function(graph, name).inputs["environment"]["variables"][
                "PAYMENT_SECRET_ARN"] == secret_arn


def test_a_configured_key_is_stored_as_a_secret():
    version = custom_graph().named("payment-provider-key-version", SECRET_VERSION).inputs
    assert version["secretString"] == {SECRET_SIG: version["secretString"][SECRET_SIG],
                                       "value": "pk_custom_0123"}
    # A configured key is applied again whenever the config changes.
    assert custom_graph().named("payment-provider-key-version",
                                SECRET_VERSION).options["ignore_changes"] == []


def test_configured_workflow_timeout_reaches_the_definition():
    assert custom_settings().workflow.timeout_seconds == 900
    assert definition(custom_graph())["TimeoutSeconds"] == 900



@functools.cache
def workflow_graph(kind: str):
    """dev with `workflow.type` set to `kind`."""
    return evaluate("dev", {**stack_config("dev"),
                            "order-platform:workflow": json.dumps({"type": kind})})


@pytest.mark.parametrize("kind", ["STANDARD", "EXPRESS"])
def test_each_workflow_type_deploys_with_its_execution_logs(kind):
    graph = workflow_graph(kind)
    machine = state_machine(graph).inputs
    assert machine["type"] == kind
    # Express keeps no history but these logs; neither type logs the order data.
    assert (machine["loggingConfiguration"]["level"],
            machine["loggingConfiguration"]["includeExecutionData"]) == ("ALL", False)
    assert machine["loggingConfiguration"]["logDestination"] == \
        graph.named("order-workflow-logs", LOG_GROUP).outputs["arn"] + ":*"
    # Only request-response Lambda invokes: Express has no .sync nor .waitForTaskToken.
    tasks = [s for s in definition(graph)["States"].values() if s["Type"] == "Task"]
    assert tasks and {t["Resource"] for t in tasks} == {"arn:aws:states:::lambda:invoke"}
    assert definition(graph)["TimeoutSeconds"] <= EXPRESS_MAX_SECONDS
    assert environment(graph, "sweep-stuck-orders")["WORKFLOW_TYPE"] == kind
    looks_up = any(action == "states:DescribeExecution"
                   for action, _ in grants(graph, "sweep-stuck-orders"))
    assert looks_up == (kind == "STANDARD")


@pytest.mark.parametrize("workflow_timeout, function_timeout, reason", [
    (900, 30, "workflow.timeoutSeconds is 900"),
    # 60 s functions: one step's 7 attempts and their waits take 483 s.
    (300, 60, "one step with all its retries may take 483 s"),
])
def test_an_express_workflow_that_cannot_finish_in_5_minutes_is_refused(
        workflow_timeout, function_timeout, reason):
    with pytest.raises(ConfigError) as refused:
        settings_from_config({
            "order-platform:workflow": json.dumps({"type": "EXPRESS",
                                                   "timeoutSeconds": workflow_timeout}),
            "order-platform:functions": json.dumps({"workflow": {"timeout": function_timeout}})})
    assert "order-platform:workflow: Value error, workflow.type EXPRESS runs at most 300 s" in \
        str(refused.value)
    assert reason in str(refused.value)


def test_a_standard_workflow_may_run_longer():
    assert settings_from_config({
        "order-platform:workflow": json.dumps({"timeoutSeconds": 900}),
        "order-platform:functions": json.dumps({"workflow": {"timeout": 60}})}).workflow.type \
        == "STANDARD"


def test_an_express_sweeper_must_wait_past_the_workflow_timeout():
    with pytest.raises(ConfigError, match="order-platform:sweeper: .*stuckAfterMinutes"):
        settings_from_config({"order-platform:workflow": json.dumps({"type": "EXPRESS"}),
                              "order-platform:sweeper": json.dumps({"stuckAfterMinutes": 5})})


def test_an_unknown_workflow_type_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match="order-platform:workflow.type"):
        settings_from_config({"order-platform:workflow": json.dumps({"type": "FAST"})})


@pytest.mark.parametrize("raw, kept", [("pk_live_abc", "pk_live_abc"), ("12345", "12345"),
                                       ('{"apiKey": "k"}', '{"apiKey": "k"}')])
def test_payment_key_config_is_kept_as_text_and_masked(raw, kept):
    s = settings_from_config({"order-platform:paymentProviderKey": raw})
    assert s.payment_provider_key.get_secret_value() == kept
    assert raw not in repr(s) and raw not in str(s.model_dump())


def test_an_empty_payment_key_is_refused():
    with pytest.raises(ConfigError, match="order-platform:paymentProviderKey"):
        settings_from_config({"order-platform:paymentProviderKey": ""})
