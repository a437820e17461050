"""OrderQueue: the queue, its DLQ and redrive, and process-order's event source mapping."""

import json

import pytest

from components.builders.grants import SQS_CONSUMER_ACTIONS
from stack_settings import ConfigError, settings_from_config
from tests.unit.mocks import ACCOUNT
from tests.unit.order_graph import (FUNCTION, MAPPING, QUEUE, QUEUE_POLICY, ROLE_POLICY, RULE,
                                    STACKS, custom_graph, custom_settings, function,
                                    service_policy, settings)

DLQ_RETENTION = 14 * 24 * 3600


def queue(graph, name="order-queue"):
    return graph.named(name, QUEUE)


def mapping(graph):
    return graph.named("process-order-mapping", MAPPING)


@pytest.mark.parametrize("stack", STACKS)
class TestOrderQueue:
    def test_visibility_timeout_covers_six_function_timeouts_and_the_window(self, graphs, stack):
        graph = graphs[stack]
        timeout = function(graph, "process-order").inputs["timeout"]
        window = mapping(graph).inputs["maximumBatchingWindowInSeconds"]
        visibility = queue(graph).inputs["visibilityTimeoutSeconds"]
        assert visibility >= 6 * timeout + window
        assert timeout == settings(stack).functions.queue.timeout

    def test_redrive_policy_sends_to_the_dlq_after_the_configured_receives(self, graphs, stack):
        graph = graphs[stack]
        redrive = json.loads(queue(graph).inputs["redrivePolicy"])
        assert redrive["deadLetterTargetArn"] == queue(graph, "order-dlq").outputs["arn"]
        assert type(redrive["maxReceiveCount"]) is int
        assert redrive["maxReceiveCount"] == settings(stack).queue.max_receive_count

    def test_queues_are_encrypted_and_the_dlq_keeps_messages_for_14_days(self, graphs, stack):
        graph = graphs[stack]
        assert queue(graph).inputs["sqsManagedSseEnabled"] is True
        dlq = queue(graph, "order-dlq").inputs
        assert dlq["sqsManagedSseEnabled"] is True
        assert dlq["messageRetentionSeconds"] == DLQ_RETENTION

    def test_queues_are_protected_where_the_stack_says(self, graphs, stack):
        protect = settings(stack).protect_stateful_resources
        for name in ("order-queue", "order-dlq"):
            options = queue(graphs[stack], name).options
            assert (options["protect"], options["retain_on_delete"]) == (protect, protect)

    def test_mapping_batches_reports_partial_failures_and_caps_concurrency(self, graphs, stack):
        graph, s = graphs[stack], settings(stack).queue
        inputs = mapping(graph).inputs
        assert inputs["eventSourceArn"] == queue(graph).outputs["arn"]
        assert inputs["functionName"] == function(graph, "process-order").outputs["arn"]
        assert inputs["batchSize"] == s.batch_size
        assert inputs["maximumBatchingWindowInSeconds"] == s.batching_window_seconds
        assert inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert inputs["scalingConfig"] == {"maximumConcurrency": s.maximum_concurrency}
        assert inputs["scalingConfig"]["maximumConcurrency"] >= 2

    def test_mapping_depends_on_the_consumer_policy(self, graphs, stack):
        graph = graphs[stack]
        assert mapping(graph).options["depends_on"] == [(ROLE_POLICY, "process-order-order-queue")]
        policy = graph.named("process-order-order-queue", ROLE_POLICY)
        assert policy.inputs["role"] == graph.named("process-order-role",
                                                    "aws:iam/role:Role").outputs["id"]
        [statement] = json.loads(policy.inputs["policy"])["Statement"]
        assert set(statement["Action"]) == set(SQS_CONSUMER_ACTIONS) == {
            "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility"}
        assert statement["Resource"] == [queue(graph).outputs["arn"]]

    def test_no_function_reserves_concurrency(self, graphs, stack):
        for fn in graphs[stack].of_type(FUNCTION):
            assert "reservedConcurrentExecutions" not in fn.inputs, fn.name

    def test_process_order_is_sized_as_a_queue_consumer(self, graphs, stack):
        sizing = settings(stack).functions.queue
        fn = function(graphs[stack], "process-order").inputs
        assert (fn["memorySize"], fn["timeout"]) == (sizing.memory, sizing.timeout)

    def test_one_queue_policy_lets_eventbridge_send_from_the_order_placed_rule(self, graphs,
                                                                              stack):
        graph = graphs[stack]
        url = queue(graph).outputs["url"]
        [policy] = [p for p in graph.of_type(QUEUE_POLICY) if p.inputs["queueUrl"] == url]
        statement = service_policy(policy.inputs["policy"])
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == queue(graph).outputs["arn"]
        assert statement["Condition"] == {
            "ArnEquals": {"aws:SourceArn": [graph.named("order-placed", RULE).outputs["arn"]]},
            "StringEquals": {"aws:SourceAccount": [ACCOUNT]}}

    def test_urls_are_exported(self, graphs, stack):
        graph = graphs[stack]
        assert graph.outputs["OrderQueueUrl"] == queue(graph).outputs["url"]
        assert graph.outputs["OrderDlqUrl"] == queue(graph, "order-dlq").outputs["url"]


def test_configured_queue_settings_reach_the_queue_and_the_mapping():
    graph, s = custom_graph(), custom_settings().queue
    assert (s.max_receive_count, s.batch_size, s.batching_window_seconds,
            s.maximum_concurrency) == (7, 25, 3, 9)
    assert json.loads(queue(graph).inputs["redrivePolicy"])["maxReceiveCount"] == 7
    inputs = mapping(graph).inputs
    assert (inputs["batchSize"], inputs["maximumBatchingWindowInSeconds"],
            inputs["scalingConfig"]["maximumConcurrency"]) == (25, 3, 9)
    timeout = function(graph, "process-order").inputs["timeout"]
    assert queue(graph).inputs["visibilityTimeoutSeconds"] == 6 * timeout + 3


def test_a_batch_above_ten_without_a_batching_window_is_refused_before_deploying():
    with pytest.raises(ConfigError, match=r"order-platform:queue: .*batchingWindowSeconds"):
        settings_from_config({"order-platform:queue": json.dumps({"batchSize": 50})})
    s = settings_from_config({"order-platform:queue": json.dumps(
        {"batchSize": 50, "batchingWindowSeconds": 1})})
    assert s.queue.batch_size == 50
