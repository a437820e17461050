"""DailyReport: the reports table, the ops topic, the schedule on the default bus and its Lambda
target."""

import pytest

from tests.unit.mocks import ACCOUNT
from tests.unit.order_graph import (INVOKE_CONFIG, PERMISSION, QUEUE, QUEUE_POLICY, RULE,
                                    STACKS, TABLE, TARGET, TOPIC, TOPIC_POLICY, allowing,
                                    custom_graph, environment, function, grants, prefix,
                                    service_policy, settings)

by_stack = pytest.mark.parametrize("stack", STACKS)


@by_stack
def test_reports_are_keyed_by_date_and_exported(graphs, stack):
    table = graphs[stack].named("reports-table", TABLE)
    assert table.inputs["hashKey"] == "reportDate"
    assert graphs[stack].outputs["ReportsTableName"] == table.outputs["name"]


@by_stack
def test_schedule_runs_on_the_default_bus_under_a_stack_name(graphs, stack):
    rule = graphs[stack].named("daily-report-schedule", RULE)
    schedule = rule.inputs
    # Exported: the stack has more than one scheduled rule, so scripts fire this one by name.
    assert graphs[stack].outputs["DailyReportRuleName"] == rule.outputs["name"]
    assert schedule["scheduleExpression"] == settings(stack).report.schedule
    assert schedule["name"] == f"{prefix(stack)}-daily-report"
    assert schedule.get("eventBusName") in (None, "default")
    assert "eventPattern" not in schedule


@by_stack
def test_target_retries_dead_letters_and_may_invoke(graphs, stack):
    graph, s = graphs[stack], settings(stack).events
    rule = graph.named("daily-report-schedule", RULE)
    target = graph.named("daily-report", TARGET)
    dlq = graph.named("daily-report-dlq", QUEUE)
    assert target.inputs["rule"] == rule.inputs["name"]
    assert target.inputs["arn"] == function(graph, "daily-report").outputs["arn"]
    assert target.inputs["retryPolicy"] == {
        "maximumRetryAttempts": s.target_max_retry_attempts,
        "maximumEventAgeInSeconds": s.target_max_event_age_seconds}
    assert target.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    permission = graph.named("daily-report-permission", PERMISSION).inputs
    assert (permission["principal"], permission["sourceArn"]) == (
        "events.amazonaws.com", rule.outputs["arn"])
    assert permission["function"] == function(graph, "daily-report").inputs["name"]


@by_stack
def test_dlq_accepts_the_schedule_and_failed_runs(graphs, stack):
    graph, s = graphs[stack], settings(stack).events
    dlq = graph.named("daily-report-dlq", QUEUE)
    [policy] = [p for p in graph.of_type(QUEUE_POLICY)
                if p.inputs["queueUrl"] == dlq.outputs["url"]]
    statement = service_policy(policy.inputs["policy"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": [graph.named("daily-report-schedule", RULE).outputs["arn"]]},
        "StringEquals": {"aws:SourceAccount": [ACCOUNT]}}
    config = graph.named("daily-report-async", INVOKE_CONFIG).inputs
    assert config["destinationConfig"] == {"onFailure": {"destination": dlq.outputs["arn"]}}
    assert (config["maximumRetryAttempts"], config["maximumEventAgeInSeconds"]) == (
        s.async_max_retry_attempts, s.async_max_event_age_seconds)


@by_stack
def test_function_is_sized_as_a_scheduled_function(graphs, stack):
    sizing = settings(stack).functions.scheduled
    fn = function(graphs[stack], "daily-report").inputs
    assert (fn["memorySize"], fn["timeout"]) == (sizing.memory, sizing.timeout)
    assert fn["environment"]["variables"]["POWERTOOLS_SERVICE_NAME"] == "scheduled"


@by_stack
def test_ops_topic_is_encrypted_with_the_messaging_key_and_exported(graphs, stack):
    graph = graphs[stack]
    topic = graph.named("ops-reports", TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == graph.named(
        "messaging-key", "aws:kms/key:Key").outputs["id"]
    assert graph.outputs["OpsTopicArn"] == topic.outputs["arn"]
    # Only daily-report publishes, through its role: no service is let in by a topic policy.
    assert not [p for p in graph.of_type(TOPIC_POLICY)
                if p.inputs["arn"] == topic.outputs["arn"]]


@by_stack
def test_function_publishes_to_the_ops_topic_and_nothing_else(graphs, stack):
    graph = graphs[stack]
    topic_arn = graph.named("ops-reports", TOPIC).outputs["arn"]
    key_arn = graph.named("messaging-key", "aws:kms/key:Key").outputs["arn"]
    assert environment(graph, "daily-report")["OPS_TOPIC_ARN"] == topic_arn
    messaging = {(action, resource) for action, resource in grants(graph, "daily-report")
                 if action.startswith(("sns:", "kms:"))}
    assert messaging == allowing(["sns:Publish"], topic_arn) | \
        allowing(["kms:GenerateDataKey", "kms:Decrypt"], key_arn)


def test_configured_schedule_is_used():
    schedule = custom_graph().named("daily-report-schedule", RULE).inputs
    assert schedule["scheduleExpression"] == "rate(6 hours)"
