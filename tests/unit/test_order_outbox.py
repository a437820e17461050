"""OrderOutbox: the orders table's stream, the pipe to the order bus, its enrichment, role and
dead-letter queue. The pipe must put on the bus exactly the event the order-placed rule matches."""

import json

import pytest
from moto.events.models import EventPattern

from components.order_outbox import PLACED_INSERTS
from tests.unit.order_graph import (BUS, FUNCTION, PIPE, QUEUE, ROLE, STACKS, TABLE, allowing,
                                    custom_graph, custom_settings, prefix, role_grants, settings)


def pipe(graph):
    return graph.named("order-outbox", PIPE).inputs


def stream_parameters(graph):
    return pipe(graph)["sourceParameters"]["dynamodbStreamParameters"]


def stream_record(status="PLACED", event_name="INSERT"):
    """A stream record as the pipe filters it (DynamoDB JSON)."""
    return {"eventName": event_name, "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"orderId": {"S": "o-1"}},
                         "NewImage": {"orderId": {"S": "o-1"}, "status": {"S": status}}}}


@pytest.mark.parametrize("stack", STACKS)
class TestOutbox:
    def test_orders_table_streams_new_images(self, graphs, stack):
        orders = graphs[stack].named("orders-table", TABLE).inputs
        assert orders["streamEnabled"] is True
        assert orders["streamViewType"] == "NEW_IMAGE"

    def test_pipe_reads_the_orders_stream_and_targets_the_order_bus(self, graphs, stack):
        graph = graphs[stack]
        p = pipe(graph)
        assert p["name"] == f"{prefix(stack)}-order-outbox"
        assert p["source"] == graph.named("orders-table", TABLE).outputs["streamArn"]
        assert p["target"] == graph.named("order-bus", BUS).outputs["arn"]
        assert p["enrichment"] == graph.named("order-placed-from-stream", FUNCTION).outputs["arn"]
        assert p["roleArn"] == graph.named("outbox-pipe-role", ROLE).outputs["arn"]

    def test_pipe_events_are_what_the_order_placed_rule_matches(self, graphs, stack):
        graph = graphs[stack]
        bus = pipe(graph)["targetParameters"]["eventbridgeEventBusParameters"]
        event = {"source": bus["source"], "detail-type": bus["detailType"],
                 "detail": {"orderId": "o-1", "amount": 5}}
        rule = graph.named("order-placed", "aws:cloudwatch/eventRule:EventRule")
        assert EventPattern.load(rule.inputs["eventPattern"]).matches_event(event)

    def test_filter_keeps_inserts_of_placed_orders_only(self, graphs, stack):
        [only] = pipe(graphs[stack])["sourceParameters"]["filterCriteria"]["filters"]
        assert json.loads(only["pattern"]) == PLACED_INSERTS
        pattern = EventPattern.load(only["pattern"])
        assert pattern.matches_event(stream_record())
        assert not pattern.matches_event(stream_record(event_name="MODIFY"))
        assert not pattern.matches_event(stream_record(status="CONFIRMED"))

    def test_failed_batches_retry_bisect_and_dead_letter(self, graphs, stack):
        graph = graphs[stack]
        params = stream_parameters(graph)
        events = settings(stack).events
        assert params["startingPosition"] == "LATEST"
        assert params["maximumRetryAttempts"] == events.outbox_max_retry_attempts
        assert params["maximumRecordAgeInSeconds"] == events.outbox_max_record_age_seconds
        assert params["batchSize"] == events.outbox_batch_size
        assert params["onPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
        assert params["deadLetterConfig"]["arn"] == graph.named("outbox-dlq", QUEUE).outputs["arn"]

    def test_pipe_role_allows_exactly_what_the_pipe_does(self, graphs, stack):
        graph = graphs[stack]
        role = graph.named("outbox-pipe-role", ROLE).inputs
        [trust] = json.loads(role["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
        assert role_grants(graph, "outbox-pipe-role") == (
            allowing(["dynamodb:DescribeStream", "dynamodb:GetShardIterator",
                      "dynamodb:GetRecords"],
                     graph.named("orders-table", TABLE).outputs["streamArn"])
            | allowing(["lambda:InvokeFunction"],
                       graph.named("order-placed-from-stream", FUNCTION).outputs["arn"])
            | allowing(["events:PutEvents"], graph.named("order-bus", BUS).outputs["arn"])
            | allowing(["sqs:SendMessage"], graph.named("outbox-dlq", QUEUE).outputs["arn"]))

    def test_pipe_waits_for_its_role_policy(self, graphs, stack):
        graph = graphs[stack]
        depends = graph.named("order-outbox", PIPE).options["depends_on"]
        assert ("aws:iam/rolePolicy:RolePolicy", "outbox-pipe-access") in depends

    def test_outbox_dlq_is_protected_where_the_stack_says(self, graphs, stack):
        dlq = graphs[stack].named("outbox-dlq", QUEUE)
        assert dlq.options["protect"] is settings(stack).protect_stateful_resources


def test_create_order_no_longer_publishes(graphs):
    for stack in STACKS:
        env = graphs[stack].named("create-order", FUNCTION).inputs["environment"]["variables"]
        assert "EVENT_BUS_NAME" not in env


def test_outbox_settings_come_from_the_stack():
    assert custom_settings().events.outbox_max_retry_attempts == 42
    params = stream_parameters(custom_graph())
    assert (params["maximumRetryAttempts"], params["maximumRecordAgeInSeconds"],
            params["batchSize"]) == (42, 600, 3)
