"""Scenarios f–h: poison messages, failing fan-out handlers and the alarms they raise.

The fan-out retries and the alarm period run on a local cloud of this module's own, on the
manual clock: each advance runs what falls due inside it and returns once settled, so each
step is checked right after its advance, without polling or bursts. The poison message still
waits on the session cloud (scaled): its visibility timeouts are moto's, and under a heavy load
the batch's valid orders time out there as they do on either clock.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import pytest

from localcloud.core.clients import local_client
from tests.cloud_session import advance_clock, module_cloud_fixture
from tests.e2e.conftest import ROOT
from tests.e2e.helpers import receive_all, subscribe_queue
from tests.waiting import wait_for

FUNCTION_PREFIX = "order-platform-local"
ALARM_ERRORS = 3  # the local stack alarms above 2 errors in a 60 s period

manual_cloud = module_cloud_fixture(str(ROOT), "failures-cloud", clock="manual")


@dataclass
class ManualCloud:
    """This module's cloud: its outputs, boto3 clients on it, and advancing its clock."""

    outputs: dict
    aws: Callable[[str], Any]
    advance: Callable[[float | str], dict]


@pytest.fixture(scope="module")
def manual(manual_cloud):
    clients: dict[str, Any] = {}

    def aws(service: str):
        if service not in clients:
            clients[service] = local_client(service, manual_cloud.endpoint_url,
                                            manual_cloud.region)
        return clients[service]

    return ManualCloud(manual_cloud.deployment.outputs, aws,
                       lambda duration: advance_clock(manual_cloud.endpoint_url, duration))


def placed_order_event(order_id: str, customer_id: str) -> dict:
    """An `Order Placed` event as EventBridge delivers it to the order queue."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Order Placed",
        "source": "order.service", "account": "123456789012",
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-1", "resources": [],
        "detail": {"orderId": order_id, "customerId": customer_id,
                   "customerEmail": "batch@example.com", "amount": 10,
                   "items": [{"productId": "p-batch", "quantity": 1}],
                   "timestamp": datetime.now(timezone.utc).isoformat()},
    }


def put_placed_order(dynamodb, table: str, order_id: str, customer_id: str) -> None:
    now = datetime.now(timezone.utc)
    dynamodb.put_item(TableName=table, Item={
        "orderId": {"S": order_id}, "customerId": {"S": customer_id},
        "customerEmail": {"S": "batch@example.com"},
        "items": {"L": [{"M": {"productId": {"S": "p-batch"}, "quantity": {"N": "1"}}}]},
        "amount": {"N": "10"}, "paymentToken": {"S": "tok_visa"}, "status": {"S": "PLACED"},
        "history": {"L": [{"M": {"status": {"S": "PLACED"}, "at": {"S": now.isoformat()}}}]},
        "createdAt": {"S": now.isoformat()}, "updatedAt": {"S": now.isoformat()},
        "createdDate": {"S": now.date().isoformat()},
    })


def test_poison_message_goes_to_the_dlq_and_the_rest_of_its_batch_is_processed_once(
        aws, outputs):
    sqs, dynamodb, sfn = aws("sqs"), aws("dynamodb"), aws("stepfunctions")
    dynamodb.put_item(TableName=outputs["InventoryTableName"],
                      Item={"productId": {"S": "p-batch"}, "stock": {"N": "100"}})
    customer = f"c-{uuid.uuid4().hex[:6]}"
    orders = [f"batch-{uuid.uuid4().hex[:10]}" for _ in range(9)]
    for order_id in orders:
        put_placed_order(dynamodb, outputs["OrdersTableName"], order_id, customer)
    entries = [{"Id": str(i), "MessageBody": json.dumps(placed_order_event(o, customer))}
               for i, o in enumerate(orders)]
    entries.append({"Id": "poison", "MessageBody": "{this is not an order"})
    sqs.send_message_batch(QueueUrl=outputs["OrderQueueUrl"], Entries=entries)

    dead = wait_for(lambda: receive_all(sqs, outputs["OrderDlqUrl"]), timeout=150,
                    what="the poison message in the DLQ")
    assert [m["Body"] for m in dead] == ["{this is not an order"]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 3

    machine = outputs["StateMachineArn"]
    for order_id in orders:
        arn = machine.replace(":stateMachine:", ":execution:") + f":{order_id}"
        assert sfn.describe_execution(executionArn=arn)["name"] == order_id
        item = dynamodb.get_item(TableName=outputs["OrdersTableName"],
                                 Key={"orderId": {"S": order_id}})["Item"]
        history = [h["M"]["status"]["S"] for h in item["history"]["L"]]
        assert history.count("PROCESSING") == 1, (order_id, history)
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert sum(e["name"] in orders for e in executions) == 9


def test_failing_fan_out_handler_is_retried_then_recorded(manual):
    """A malformed event fails every fan-out handler; each failure reaches the destination."""
    aws, outputs, advance = manual.aws, manual.outputs, manual.advance
    sqs = aws("sqs")
    bad_id = f"bad-{uuid.uuid4().hex[:8]}"
    bus = outputs["EventBusArn"].split("/")[-1]
    result = aws("events").put_events(Entries=[{
        "EventBusName": bus, "Source": "order.service", "DetailType": "Order Placed",
        "Detail": json.dumps({"orderId": bad_id, "amount": 5})}])
    assert result["FailedEntryCount"] == 0

    def records():
        return [m["Json"] for m in receive_all(sqs, outputs["FanoutFailureQueueUrl"], wait=0)
                if m["Json"] and m["Json"]["requestPayload"]["detail"].get("orderId") == bad_id]

    advance(119)  # the first attempts failed at once, the first retries after 1 minute
    assert records() == []
    fired = advance(61)["fired"]  # the second retries, 2 minutes after the first
    assert fired["lambda-async-retry"] >= 3
    seen = records()
    functions = sorted(r["requestContext"]["functionArn"].split(":")[6].removeprefix(
        f"{FUNCTION_PREFIX}-") for r in seen)
    assert functions == ["notify-warehouse", "send-email", "update-inventory"]
    for record in seen:
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3  # 1 + 2 retries
        assert record["responseContext"]["functionError"] == "Unhandled"


def test_errors_above_threshold_raise_the_alarm_and_notify(manual):
    aws, outputs, advance = manual.aws, manual.outputs, manual.advance
    sqs, sns = aws("sqs"), aws("sns")
    watch = subscribe_queue(sns, sqs, outputs["AlarmTopicArn"])
    function = f"{FUNCTION_PREFIX}-get-order"
    alarm_name = f"{FUNCTION_PREFIX}-get-order-errors"
    cloudwatch = aws("cloudwatch")

    def state() -> str:
        return cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0][
            "StateValue"]

    advance(60)  # every alarm evaluated at least once: a settled state to start from
    assert state() != "ALARM"
    for _ in range(ALARM_ERRORS):  # all at one simulated instant: one period holds them
        response = aws("lambda").invoke(FunctionName=function, Payload=b'{"not": "an event"}')
        assert response.get("FunctionError") == "Unhandled", response
    advance(60)  # the period holding them ends and is evaluated
    assert state() == "ALARM"
    notes = [m["Json"] for m in receive_all(sqs, watch)
             if m["Json"] and m["Json"].get("AlarmName") == alarm_name]
    assert notes and notes[0]["NewStateValue"] == "ALARM"
    assert notes[0]["Trigger"]["MetricName"] == "Errors"
    # The transition is in the alarm history, as `aws cloudwatch describe-alarm-history` shows.
    history = cloudwatch.describe_alarm_history(AlarmName=alarm_name,
                                                HistoryItemType="StateUpdate")
    assert f"Alarm updated from {notes[0]['OldStateValue']} to ALARM" in [
        item["HistorySummary"] for item in history["AlarmHistoryItems"]]
