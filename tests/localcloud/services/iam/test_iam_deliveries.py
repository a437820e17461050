"""Service principals on the fixture program: EventBridge, SNS and API Gateway deliver only
where the target's resource policy lets them, and a removed grant is denied as AWS denies it
(EventBridge: the target's DLQ with ERROR_CODE; SNS: dropped and counted; API Gateway: 500)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from tests.waiting import wait_for

EVENTS = "events.amazonaws.com"


@pytest.fixture
def echo_arn(outputs) -> str:
    return f"arn:aws:lambda:{outputs['region']}:{outputs['accountId']}:function:{outputs['echoName']}"


@contextmanager
def permission_removed(aws, function: str, statement_id: str):
    """The function's permission `statement_id` removed, and added back afterwards."""
    lam = aws("lambda")
    policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
    [statement] = [s for s in policy["Statement"] if s["Sid"] == statement_id]
    lam.remove_permission(FunctionName=function, StatementId=statement_id)
    try:
        yield statement
    finally:
        lam.add_permission(FunctionName=function, StatementId=statement_id,
                           Action="lambda:InvokeFunction",
                           Principal=statement["Principal"]["Service"],
                           SourceArn=statement["Condition"]["ArnLike"]["AWS:SourceArn"])


@contextmanager
def queue_policy_removed(aws, url: str):
    sqs = aws("sqs")
    saved = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": saved["Policy"]})


def messages_with(aws, url: str, marker: str, *, wait: float = 0.0) -> list[dict]:
    """Messages of a queue whose body holds `marker` (received and deleted)."""
    sqs, found = aws("sqs"), []
    deadline = time.monotonic() + wait
    while True:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1, MessageAttributeNames=["All"]
                                           ).get("Messages", []):
            if marker in message["Body"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                found.append(message)
        if found or time.monotonic() > deadline:
            return found


def denies_of(status, principal: str, action: str) -> list[dict]:
    return [deny for deny in status()["iam"]["denies"]
            if deny["principal"] == principal and deny["action"] == action]


def test_a_rule_whose_function_permission_is_removed_sends_the_event_to_the_dlq(
        aws, outputs, status, echo_arn):
    marker = uuid.uuid4().hex
    with permission_removed(aws, outputs["echoName"], "big-orders-invoke-echo"):
        aws("events").put_events(Entries=[{
            "Source": "fixture", "DetailType": "Big", "EventBusName": outputs["busName"],
            "Detail": json.dumps({"amount": 500, "marker": marker})}])
        [dead] = wait_for(lambda: messages_with(aws, outputs["dlqUrl"], marker), 30,
                          what="the event in the target's DLQ")
    attributes = {name: value["StringValue"] for name, value in
                  dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"] == outputs["bigOrdersRuleArn"]
    assert attributes["TARGET_ARN"] == echo_arn
    assert attributes["RETRY_ATTEMPTS"] == "0"  # no retry helps: sent at once
    assert attributes["ERROR_MESSAGE"] == (
        f"User: {EVENTS} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"{echo_arn} because no resource-based policy allows the lambda:InvokeFunction action")
    deny = [d for d in denies_of(status, EVENTS, "lambda:InvokeFunction")
            if d["source_arn"] == outputs["bigOrdersRuleArn"]][-1]
    assert deny["resource"] == echo_arn


def test_a_rule_with_its_permission_reaches_the_function_not_the_dlq(aws, outputs):
    marker = uuid.uuid4().hex
    aws("events").put_events(Entries=[{
        "Source": "fixture", "DetailType": "Big", "EventBusName": outputs["busName"],
        "Detail": json.dumps({"amount": 500, "marker": marker})}])
    assert messages_with(aws, outputs["dlqUrl"], marker, wait=3) == []


def failed_notifications(aws, outputs, since: datetime) -> float:
    datapoints = aws("cloudwatch").get_metric_statistics(
        Namespace="AWS/SNS", MetricName="NumberOfNotificationsFailed",
        Dimensions=[{"Name": "TopicName", "Value": outputs["topicArn"].rsplit(":", 1)[1]}],
        StartTime=since, EndTime=datetime.now(timezone.utc) + timedelta(minutes=1), Period=60,
        Statistics=["Sum"])["Datapoints"]
    return sum(point["Sum"] for point in datapoints)


def test_a_queue_whose_policy_is_removed_gets_nothing_and_the_topic_counts_the_failure(
        aws, outputs, status):
    marker = uuid.uuid4().hex
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    before = failed_notifications(aws, outputs, since)
    with queue_policy_removed(aws, outputs["topicCopyUrl"]):
        aws("sns").publish(TopicArn=outputs["topicArn"], Message=f"dropped {marker}")
        wait_for(lambda: failed_notifications(aws, outputs, since) > before, 30,
                 what="NumberOfNotificationsFailed")
        assert messages_with(aws, outputs["topicCopyUrl"], marker) == []
    deny = denies_of(status, "sns.amazonaws.com", "sqs:SendMessage")[-1]
    assert deny["source_arn"] == outputs["topicArn"]
    aws("sns").publish(TopicArn=outputs["topicArn"], Message=f"delivered {marker}")
    assert wait_for(lambda: messages_with(aws, outputs["topicCopyUrl"], marker), 30,
                    what="the message in the queue once its policy is back")


def test_a_topic_without_the_function_s_permission_does_not_invoke_it(aws, outputs, status,
                                                                      echo_arn):
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    before = failed_notifications(aws, outputs, since)
    with permission_removed(aws, outputs["echoName"], "alerts-invoke-echo"):
        aws("sns").publish(TopicArn=outputs["topicArn"], Message="not for echo")
        wait_for(lambda: failed_notifications(aws, outputs, since) > before, 30,
                 what="NumberOfNotificationsFailed")
    deny = denies_of(status, "sns.amazonaws.com", "lambda:InvokeFunction")[-1]
    assert (deny["source_arn"], deny["resource"]) == (outputs["topicArn"], echo_arn)


def get_items(outputs) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{outputs['apiUrl']}/items", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_api_without_the_function_s_permission_answers_500(aws, outputs, status):
    with permission_removed(aws, outputs["echoName"], "api-invoke-echo"):
        assert get_items(outputs) == (500, {"message": "Internal server error"})
    deny = denies_of(status, "apigateway.amazonaws.com", "lambda:InvokeFunction")[-1]
    api_id = outputs["apiUrl"].split("/restapis/")[1].split("/")[0]
    assert deny["source_arn"] == (f"arn:aws:execute-api:{outputs['region']}:"
                                  f"{outputs['accountId']}:{api_id}/v1/GET/items")
    assert get_items(outputs)[0] == 200  # the permission is back
