"""A local cloud on the manual clock: simulated time stands still until advanced through the
admin API, and an advance runs what falls due at its own simulated instant."""

from __future__ import annotations

import json

import pytest

from localcloud.core.clients import local_client
from localcloud.core.clock import iso_millis
from tests.cloud_session import (  # noqa: F401 (advance: a fixture)
    admin_call, advance, advance_clock, module_cloud_fixture)
from tests.localcloud.paths import FIXTURE_APP


manual_cloud = module_cloud_fixture(FIXTURE_APP, "manual-clock-state", clock="manual")


@pytest.fixture(scope="module")
def endpoint(manual_cloud):
    return manual_cloud.endpoint_url


def admin(cloud, path):
    return admin_call(cloud.endpoint_url, path)


def client(cloud, service):
    return local_client(service, cloud.endpoint_url, cloud.region, max_attempts=1)


def test_the_clock_stands_still_and_advances_through_the_admin_api(manual_cloud, advance):
    before = admin(manual_cloud, "clock")
    assert before["mode"] == "manual"
    assert admin(manual_cloud, "clock")["epoch"] == before["epoch"]
    after = advance(90)
    assert after["epoch"] == before["epoch"] + 90
    assert admin(manual_cloud, "status")["clock"]["epoch"] == after["epoch"]


def test_an_async_retry_chain_ends_in_its_destination_at_simulated_times(manual_cloud):
    sqs = client(manual_cloud, "sqs")
    failures = manual_cloud.deployment.outputs["failuresUrl"]
    started = admin(manual_cloud, "clock")["epoch"]
    response = client(manual_cloud, "lambda").invoke(
        FunctionName="fixture-fail", InvocationType="Event", Payload=b'{"why": "clock"}')
    assert response["StatusCode"] == 202
    advance_clock(manual_cloud.endpoint_url, 1)  # the first attempt runs and fails
    assert not sqs.receive_message(QueueUrl=failures).get("Messages")  # retries 1, 2 pending

    result = advance_clock(manual_cloud.endpoint_url, "3m")
    assert result["fired"]["lambda-async-retry"] == 2  # after 1 minute, then 2 more
    [message] = sqs.receive_message(QueueUrl=failures, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["timestamp"] == iso_millis(started + 180)  # the second retry's instant
    assert record["requestPayload"] == {"why": "clock"}
    sqs.delete_message(QueueUrl=failures, ReceiptHandle=message["ReceiptHandle"])


def test_a_received_message_is_visible_again_after_its_visibility_timeout(manual_cloud,
                                                                         advance):
    sqs = client(manual_cloud, "sqs")
    url = sqs.create_queue(QueueName="clock-visibility")["QueueUrl"]
    sent_at = admin(manual_cloud, "clock")["epoch"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    [first] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30,
                                  AttributeNames=["All"])["Messages"]
    assert int(first["Attributes"]["SentTimestamp"]) == int(sent_at * 1000)
    assert int(first["Attributes"]["ApproximateFirstReceiveTimestamp"]) == int(sent_at * 1000)

    advance(29)
    assert not sqs.receive_message(QueueUrl=url).get("Messages")  # still in flight
    result = advance(2)
    assert result["fired"]["sqs-message-visible"] == 1
    [again] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_an_advance_fires_every_schedule_occurrence_inside_it_at_its_own_time(manual_cloud,
                                                                              advance):
    sqs, events = client(manual_cloud, "sqs"), client(manual_cloud, "events")
    url = sqs.create_queue(QueueName="clock-schedule")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    rule = events.put_rule(Name="clock-hourly", ScheduleExpression="rate(1 hour)")["RuleArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]})})
    events.put_targets(Rule="clock-hourly", Targets=[{"Id": "queue", "Arn": arn}])
    seen = advance(0)["epoch"]  # the scheduler has seen the rule: first run one hour on

    result = advance("3h")
    assert result["fired"]["schedule"] == 3
    bodies = [json.loads(m["Body"]) for m in
              sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    expected = [iso_millis(seen + hours * 3600)[:19] + "Z" for hours in (1, 2, 3)]
    assert sorted(body["time"] for body in bodies) == expected
    assert {body["detail-type"] for body in bodies} == {"Scheduled Event"}


def test_an_alarm_is_evaluated_once_per_simulated_period(manual_cloud, advance):
    """A function error is a datapoint at the simulated instant it happened: the evaluation at
    the end of that period alarms, the next one (an empty period) is OK again."""
    cloudwatch = client(manual_cloud, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="clock-errors", Namespace="AWS/Lambda", MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "fixture-fail"}], Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")

    def alarm():
        return cloudwatch.describe_alarms(AlarmNames=["clock-errors"])["MetricAlarms"][0]

    first = advance(0)  # a new alarm is evaluated at once
    assert alarm()["StateValue"] == "OK" and first["fired"]["alarm-evaluation"] >= 1
    client(manual_cloud, "lambda").invoke(FunctionName="fixture-fail", Payload=b"{}")
    advance(59)
    assert alarm()["StateValue"] == "OK"  # the period has not ended
    advance(1)
    state = alarm()
    assert state["StateValue"] == "ALARM"
    assert json.loads(state["StateReasonData"])["queryDate"].startswith(
        iso_millis(first["epoch"] + 60)[:19])
    advance(60)
    assert alarm()["StateValue"] == "OK"
