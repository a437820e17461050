"""StuckOrderSweeper: its schedule, DLQ, settings, least-privilege grants, and the StuckOrders
alarm and graph in Monitoring."""

import json

import pytest

from tests.unit.order_graph import (BUS, INVOKE_CONFIG, QUEUE, RULE, STACKS, STATE_MACHINE,
                                    TABLE, TARGET, allowing, environment, function, grants,
                                    prefix, settings)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
by_stack = pytest.mark.parametrize("stack", STACKS)


@by_stack
def test_schedule_and_age_come_from_the_stack(graphs, stack):
    graph, s = graphs[stack], settings(stack).sweeper
    schedule = graph.named("sweep-stuck-orders-schedule", RULE).inputs
    assert schedule["scheduleExpression"] == s.schedule
    assert schedule["name"] == f"{prefix(stack)}-sweep-stuck-orders"
    assert environment(graph, "sweep-stuck-orders")["STUCK_AFTER_MINUTES"] == \
        str(s.stuck_after_minutes)
    target = graph.named("sweep-stuck-orders", TARGET).inputs
    dlq = graph.named("sweep-stuck-orders-dlq", QUEUE)
    assert target["arn"] == function(graph, "sweep-stuck-orders").outputs["arn"]
    assert target["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    config = graph.named("sweep-stuck-orders-async", INVOKE_CONFIG).inputs
    assert config["destinationConfig"] == {"onFailure": {"destination": dlq.outputs["arn"]}}


def test_the_stacks_differ_where_they_say():
    assert settings("local").sweeper.stuck_after_minutes == 5
    assert settings("prod").sweeper.stuck_after_minutes == 60
    assert settings("dev").sweeper.stuck_after_minutes == 30


@by_stack
def test_grants_are_exactly_what_the_sweep_calls(graphs, stack):
    graph = graphs[stack]
    orders = graph.named("orders-table", TABLE).outputs["arn"]
    bus = graph.named("order-bus", BUS).outputs["arn"]
    machine = graph.named("order-workflow", STATE_MACHINE).outputs["arn"]
    executions = machine.replace(":stateMachine:", ":execution:") + ":*"
    notify = function(graph, "notify-customer").outputs["arn"]
    dlq = graph.named("sweep-stuck-orders-dlq", QUEUE).outputs["arn"]
    # Express executions can be neither described nor redriven: no grant to.
    lookups = set() if settings(stack).workflow.type == "EXPRESS" else \
        allowing(["states:DescribeExecution", "states:RedriveExecution"], executions)
    assert grants(graph, "sweep-stuck-orders") == (
        allowing(["dynamodb:Query"], f"{orders}/index/byStatus",
                 f"{orders}/index/byConfirmationEmailPending")
        | allowing(["events:PutEvents"], bus)
        | allowing(["states:StartExecution"], machine)
        | lookups
        | allowing(["lambda:InvokeFunction"], notify)
        # Lambda delivers the function's own failed asynchronous runs to its DLQ.
        | allowing(["sqs:SendMessage"], dlq))
    env = environment(graph, "sweep-stuck-orders")
    assert env["STATE_MACHINE_ARN"] == machine
    assert env["WORKFLOW_TYPE"] == settings(stack).workflow.type
    assert env["NOTIFY_FUNCTION_NAME"] == function(graph, "notify-customer").outputs["name"]


@by_stack
def test_stuck_orders_alarm_and_graph(graphs, stack):
    graph, s = graphs[stack], settings(stack).monitoring
    alarm = graph.named("monitoring-stuck-orders", ALARM).inputs
    assert alarm["name"] == f"{prefix(stack)}-stuck-orders"
    assert (alarm["namespace"], alarm["metricName"]) == ("OrderPlatform", "StuckOrders")
    assert alarm["dimensions"] == {"service": "scheduled"}
    assert environment(graph, "sweep-stuck-orders")["POWERTOOLS_SERVICE_NAME"] == "scheduled"
    assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == (
        "Maximum", "GreaterThanOrEqualToThreshold", 1)
    assert (alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (
        s.evaluation_periods, s.datapoints_to_alarm)
    body = json.loads(graph.named("monitoring-dashboard", DASHBOARD).inputs["dashboardBody"])
    graphs_shown = {w["properties"]["title"]: w["properties"]["metrics"]
                    for w in body["widgets"] if w["type"] == "metric"}
    assert graphs_shown["Stuck orders per sweep (Maximum)"] == [
        ["OrderPlatform", "StuckOrders", "service", "scheduled"]]
