"""OrderEvents: the order bus, its two rules, their targets, DLQ and failure queue, topics."""

import json

import pytest

from tests.unit.mocks import ACCOUNT
from tests.unit.order_graph import (BUS, INVOKE_CONFIG, PERMISSION, QUEUE, QUEUE_POLICY, RULE,
                                    STACKS, TARGET, TOPIC, TOPIC_POLICY, allowing, custom_graph,
                                    custom_settings, function, grants, prefix, service_policy,
                                    settings)

FANOUT = ("send-email", "update-inventory", "notify-warehouse")
ORDER_PLACED = {"source": ["order.service"], "detail-type": ["Order Placed"]}


def rule(graph, name):
    return graph.named(name, RULE)


def pattern(graph, name):
    return json.loads(rule(graph, name).inputs["eventPattern"])


def targets_of(graph, rule_name):
    return {t.name: t for t in graph.of_type(TARGET) if t.inputs["rule"] == rule_name}


def arn(graph, name, typ):
    return graph.named(name, typ).outputs["arn"]


@pytest.mark.parametrize("stack", STACKS)
class TestBusAndRules:
    def test_bus_name_is_prefixed_with_the_stack(self, graphs, stack):
        bus = graphs[stack].named("order-bus", BUS)
        assert bus.inputs["name"] == f"{prefix(stack)}-{settings(stack).events.bus_name}"
        assert graphs[stack].outputs["EventBusArn"] == bus.outputs["arn"]

    def test_rules_and_targets_name_the_order_bus(self, graphs, stack):
        graph = graphs[stack]
        bus_name = graph.named("order-bus", BUS).inputs["name"]
        for name in ("order-placed", "high-value-order"):
            assert rule(graph, name).inputs["eventBusName"] == bus_name
            for target in targets_of(graph, name).values():
                assert target.inputs["eventBusName"] == bus_name, target.name

    def test_order_placed_matches_every_order_placed_event(self, graphs, stack):
        assert pattern(graphs[stack], "order-placed") == ORDER_PLACED

    def test_high_value_matches_amounts_above_the_threshold_as_a_number(self, graphs, stack):
        p = pattern(graphs[stack], "high-value-order")
        [match] = p.pop("detail")["amount"]
        assert p == ORDER_PLACED
        operator, threshold = match["numeric"]
        assert operator == ">"
        assert isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
        assert threshold == settings(stack).events.high_value_threshold


@pytest.mark.parametrize("stack", STACKS)
class TestTargets:
    def test_order_placed_fans_out_to_three_functions_and_the_order_queue(self, graphs, stack):
        graph = graphs[stack]
        targets = targets_of(graph, "order-placed")
        assert set(targets) == {*FANOUT, "order-queue"}
        for name in FANOUT:
            assert targets[name].inputs["arn"] == function(graph, name).outputs["arn"]
        assert targets["order-queue"].inputs["arn"] == arn(graph, "order-queue", QUEUE)

    def test_high_value_alerts_the_topic(self, graphs, stack):
        graph = graphs[stack]
        [target] = targets_of(graph, "high-value-order").values()
        assert target.inputs["arn"] == arn(graph, "high-value-alerts", TOPIC)
        assert graph.outputs["AlertTopicArn"] == arn(graph, "high-value-alerts", TOPIC)

    def test_every_target_retries_and_dead_letters_as_configured(self, graphs, stack):
        graph, s = graphs[stack], settings(stack).events
        dlq = arn(graph, "order-events-dlq", QUEUE)
        for name in ("order-placed", "high-value-order"):
            for target in targets_of(graph, name).values():
                assert target.inputs["retryPolicy"] == {
                    "maximumRetryAttempts": s.target_max_retry_attempts,
                    "maximumEventAgeInSeconds": s.target_max_event_age_seconds}, target.name
                assert target.inputs["deadLetterConfig"] == {"arn": dlq}, target.name

    def test_each_function_may_be_invoked_by_the_order_placed_rule_only(self, graphs, stack):
        graph = graphs[stack]
        rule_arn = arn(graph, "order-placed", RULE)
        for name in FANOUT:
            permission = graph.named(f"{name}-permission", PERMISSION).inputs
            assert permission["function"] == function(graph, name).inputs["name"]
            assert permission["action"] == "lambda:InvokeFunction"
            assert permission["principal"] == "events.amazonaws.com"
            assert permission["sourceArn"] == rule_arn
            assert (PERMISSION, f"{name}-permission") in \
                graph.named(name, TARGET).options["depends_on"]

    def test_the_target_dlq_accepts_events_from_both_rules_only(self, graphs, stack):
        graph = graphs[stack]
        dlq = graph.named("order-events-dlq", QUEUE)
        [policy] = [p for p in graph.of_type(QUEUE_POLICY)
                    if p.inputs["queueUrl"] == dlq.outputs["url"]]
        statement = service_policy(policy.inputs["policy"])
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == dlq.outputs["arn"]
        assert sorted(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
            [arn(graph, "order-placed", RULE), arn(graph, "high-value-order", RULE)])

    def test_the_order_queue_target_waits_for_the_queue_policy(self, graphs, stack):
        assert (QUEUE_POLICY, "order-queue-policy") in \
            graphs[stack].named("order-queue", TARGET).options["depends_on"]


@pytest.mark.parametrize("stack", STACKS)
class TestFanoutFunctions:
    def test_async_failures_go_to_the_fanout_failures_queue(self, graphs, stack):
        graph, s = graphs[stack], settings(stack).events
        failures = arn(graph, "fanout-failures", QUEUE)
        for name in FANOUT:
            config = graph.named(f"{name}-async", INVOKE_CONFIG).inputs
            assert config["functionName"] == function(graph, name).inputs["name"]
            assert config["maximumRetryAttempts"] == s.async_max_retry_attempts
            assert config["maximumEventAgeInSeconds"] == s.async_max_event_age_seconds
            assert config["destinationConfig"] == {"onFailure": {"destination": failures}}
            assert ("sqs:SendMessage", failures) in grants(graph, name)
        assert graph.outputs["FanoutFailureQueueUrl"] == \
            graph.named("fanout-failures", QUEUE).outputs["url"]

    def test_fanout_functions_are_sized_as_event_functions(self, graphs, stack):
        sizing = settings(stack).functions.event
        for name in FANOUT:
            fn = function(graphs[stack], name).inputs
            assert (fn["memorySize"], fn["timeout"]) == (sizing.memory, sizing.timeout)

    def test_dead_letter_queues_keep_messages_and_are_protected_as_configured(self, graphs,
                                                                             stack):
        protect = settings(stack).protect_stateful_resources
        for name in ("order-events-dlq", "fanout-failures"):
            dlq = graphs[stack].named(name, QUEUE)
            assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
            assert dlq.inputs["sqsManagedSseEnabled"] is True
            assert dlq.options["protect"] is protect


@pytest.mark.parametrize("stack", STACKS)
class TestTopics:
    def test_topics_use_the_platform_key_not_the_aws_managed_one(self, graphs, stack):
        graph = graphs[stack]
        key_id = graph.named("messaging-key", "aws:kms/key:Key").outputs["id"]
        for name in ("high-value-alerts", "warehouse"):
            assert graph.named(name, TOPIC).inputs["kmsMasterKeyId"] == key_id
        assert graph.outputs["WarehouseTopicArn"] == arn(graph, "warehouse", TOPIC)

    def test_alert_topic_accepts_eventbridge_from_the_high_value_rule_only(self, graphs, stack):
        graph = graphs[stack]
        topic_arn = arn(graph, "high-value-alerts", TOPIC)
        policy = graph.named("high-value-alerts-policy", TOPIC_POLICY).inputs
        assert policy["arn"] == topic_arn
        statement = service_policy(policy["policy"])
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == topic_arn
        assert statement["Condition"] == {
            "ArnEquals": {"aws:SourceArn": [arn(graph, "high-value-order", RULE)]},
            "StringEquals": {"aws:SourceAccount": [ACCOUNT]}}

    def test_notify_warehouse_publishes_to_the_warehouse_topic(self, graphs, stack):
        graph = graphs[stack]
        topic_arn = arn(graph, "warehouse", TOPIC)
        assert function(graph, "notify-warehouse").inputs["environment"]["variables"][
            "WAREHOUSE_TOPIC_ARN"] == topic_arn
        key = graph.named("messaging-key", "aws:kms/key:Key").outputs["arn"]
        assert allowing(["sns:Publish"], topic_arn) | \
            allowing(["kms:GenerateDataKey", "kms:Decrypt"], key) <= grants(graph,
                                                                            "notify-warehouse")


def test_configured_threshold_and_bus_name_are_used():
    graph, s = custom_graph(), custom_settings().events
    assert s.high_value_threshold == 250.5
    assert pattern(graph, "high-value-order")["detail"]["amount"] == [{"numeric": [">", 250.5]}]
    assert graph.named("order-bus", BUS).inputs["name"] == "order-platform-dev-orders-bus"
    for target in graph.of_type(TARGET):
        assert target.inputs["retryPolicy"]["maximumRetryAttempts"] == 4
