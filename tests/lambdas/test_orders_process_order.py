"""process-order: SQS batch of `Order Placed` events -> one workflow execution per order."""

from __future__ import annotations

import json

import boto3
import pytest

from lambdas.orders import process_order
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import (
    REGION,
    order_placed_detail,
    order_placed_event,
    sqs_event,
    sqs_record,
    sqs_record_from_message,
)


@pytest.fixture
def sfn():
    return boto3.client("stepfunctions", region_name=REGION)


def queued_events(order_cloud, *order_ids):
    """Publish `Order Placed` for each order on the bus and take the messages off the queue the
    rule feeds, as the event source mapping would."""
    events = boto3.client("events", region_name=REGION)
    for order_id in order_ids:
        events.put_events(
            Entries=[
                {
                    "EventBusName": order_cloud.bus_name,
                    "Source": "order.service",
                    "DetailType": "Order Placed",
                    "Detail": json.dumps(order_placed_detail(order_id)),
                }
            ]
        )
    return [sqs_record_from_message(message) for message in order_cloud.received(order_cloud.events_queue_url)]


def executions(sfn, order_cloud):
    return sfn.list_executions(stateMachineArn=order_cloud.state_machine_arn)["executions"]


def test_workflow_is_started_for_the_order(order_cloud, lambda_context, sfn):
    order_cloud.add_order("o-1", status="PLACED", payment_token="tok_visa")

    result = process_order.handler(sqs_event(queued_events(order_cloud, "o-1")), lambda_context)

    assert result == {"batchItemFailures": []}
    [execution] = executions(sfn, order_cloud)
    assert execution["name"] == "o-1"
    workflow_input = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert workflow_input == {
        "orderId": "o-1",
        "customerId": "c-1",
        "customerEmail": "ada@example.com",
        "amount": 25.5,
        "items": [{"productId": "p-1", "quantity": 2}, {"productId": "p-2", "quantity": 1}],
        "paymentToken": "tok_visa",
    }
    stored = order_cloud.order("o-1")
    assert stored["status"] == "PROCESSING"
    assert [entry["status"] for entry in stored["history"]] == ["PLACED", "PROCESSING"]


def test_bad_message_in_a_batch_is_the_only_failure(order_cloud, lambda_context, sfn):
    order_ids = [f"o-{n}" for n in range(9)]
    for order_id in order_ids:
        order_cloud.add_order(order_id)
    records = [sqs_record(json.dumps(order_placed_event(order_id))) for order_id in order_ids]
    bad = order_placed_event("o-bad")
    bad["detail"]["amount"] = "lots"
    bad_record = sqs_record(json.dumps(bad))
    records.insert(4, bad_record)

    result = process_order.handler(sqs_event(records), lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": bad_record["messageId"]}]}
    assert sorted(execution["name"] for execution in executions(sfn, order_cloud)) == order_ids


def test_body_that_is_not_json_fails_alone(order_cloud, lambda_context):
    order_cloud.add_order("o-1")
    good = sqs_record(json.dumps(order_placed_event("o-1")))
    bad = sqs_record("not json")

    result = process_order.handler(sqs_event([good, bad]), lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": bad["messageId"]}]}


def test_unknown_order_fails_its_message(order_cloud, lambda_context, sfn):
    order_cloud.add_order("o-1")
    known = sqs_record(json.dumps(order_placed_event("o-1")))
    unknown = sqs_record(json.dumps(order_placed_event("o-unknown")))

    result = process_order.handler(sqs_event([known, unknown]), lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": unknown["messageId"]}]}
    assert [execution["name"] for execution in executions(sfn, order_cloud)] == ["o-1"]


def test_execution_already_exists_counts_as_success(order_cloud, lambda_context, sfn):
    order_cloud.add_order("o-1")
    sfn.start_execution(stateMachineArn=order_cloud.state_machine_arn, name="o-1", input="{}")

    result = process_order.handler(sqs_event([sqs_record(json.dumps(order_placed_event("o-1")))]), lambda_context)

    assert result == {"batchItemFailures": []}
    assert len(executions(sfn, order_cloud)) == 1


def test_redelivered_message_is_harmless(order_cloud, lambda_context, sfn):
    order_cloud.add_order("o-1")
    batch = sqs_event(queued_events(order_cloud, "o-1"))

    first = process_order.handler(batch, lambda_context)
    second = process_order.handler(batch, lambda_context)

    assert first == second == {"batchItemFailures": []}
    assert len(executions(sfn, order_cloud)) == 1
    assert [entry["status"] for entry in order_cloud.order("o-1")["history"]] == ["PLACED", "PROCESSING"]


def test_order_already_moved_on_stays_where_it_is(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="VALIDATED")

    result = process_order.handler(sqs_event([sqs_record(json.dumps(order_placed_event("o-1")))]), lambda_context)

    assert result == {"batchItemFailures": []}
    assert order_cloud.order("o-1")["status"] == "VALIDATED"
