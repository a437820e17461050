"""AlarmEvaluator: CloudWatch alarms evaluated locally, state written to moto, SNS notified."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone

import pytest

from localcloud.services.cloudwatch.alarms import AlarmEvaluator, Second, decide_state, statistic
from tests.localcloud.triggers_support import (  # noqa: F401  (moto_url is a fixture)
    TestCloud,
    drain,
    make_queue,
    moto_url,
    unique,
    wait_until,
)

B, O, M = True, False, None  # breaching, not breaching, missing


@pytest.mark.parametrize("breaches, treat, current, expected", [
    ([B, B, O], "missing", "OK", "ALARM"),
    ([B, O, O], "missing", "OK", "OK"),
    ([B, M, M], "missing", "OK", "OK"),  # present datapoints only: 1 < 2
    ([M, M, M], "missing", "OK", "INSUFFICIENT_DATA"),
    ([M, M, M], "ignore", "ALARM", "ALARM"),
    ([B, B, M], "ignore", "OK", "ALARM"),
    ([M, M, M], "notBreaching", "ALARM", "OK"),
    ([B, M, M], "notBreaching", "OK", "OK"),
    ([B, M, M], "breaching", "OK", "ALARM"),
    ([M, M, M], "breaching", "OK", "ALARM"),
])
def test_m_out_of_n_with_missing_data(breaches, treat, current, expected):
    assert decide_state(breaches, 2, treat, current) == expected


def test_statistics_from_per_second_aggregates():
    seconds = [Second(1.0, 1, 5.0, 5.0, 5.0), Second(2.0, 3, 6.0, 1.0, 3.0)]
    assert statistic("SampleCount", seconds) == 4
    assert statistic("Sum", seconds) == 11.0
    assert statistic("Average", seconds) == 2.75
    assert statistic("Minimum", seconds) == 1.0
    assert statistic("Maximum", seconds) == 5.0
    assert statistic("Sum", []) is None
    spread = [Second(1.0, 100, 5050.0, 1.0, 100.0)]  # 1..100 within one second
    assert statistic("p99", spread) == pytest.approx(99.0)
    assert statistic("p50", spread) == pytest.approx(50.0)


@pytest.fixture
def cloud(moto_url):
    return TestCloud(moto_url, time_scale=60)  # a 60 s period is one real second


@pytest.fixture
def inbox(cloud):
    """An SNS topic for alarm actions, with an SQS queue subscribed to read notifications."""
    sns, sqs = cloud.aws("sns"), cloud.aws("sqs")
    topic = sns.create_topic(Name=unique("alarms"))["TopicArn"]
    url, arn = make_queue(sqs, unique("alarm-inbox"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


@pytest.fixture
def evaluator(cloud):
    evaluator = AlarmEvaluator(cloud)
    yield evaluator
    started = time.monotonic()
    evaluator.stop()
    assert time.monotonic() - started < 2  # stop() joins promptly


def errors_alarm(cloud, topic, namespace, **settings):
    name = unique("errors")
    cloud.aws("cloudwatch").put_metric_alarm(**{
        "AlarmName": name, "AlarmDescription": "process-order errors",
        "Namespace": namespace, "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": "process-order"}],
        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
        "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching", "AlarmActions": [topic], "OKActions": [topic],
        **settings})
    return name


def put_error(cloud, namespace, at):
    cloud.aws("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": "Errors", "Value": 1.0, "Unit": "Count",
        "Timestamp": datetime.fromtimestamp(at, timezone.utc),
        "Dimensions": [{"Name": "FunctionName", "Value": "process-order"}]}])


def state(cloud, name):
    return cloud.aws("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def notifications(cloud, url, count):
    return [json.loads(json.loads(message["Body"])["Message"])
            for message in drain(cloud.aws("sqs"), url, count)]


def test_alarm_goes_to_alarm_after_m_breaching_periods_and_back_to_ok(cloud, inbox, evaluator):
    topic, url = inbox
    namespace = unique("Orders")
    name = errors_alarm(cloud, topic, namespace)
    now = math.floor(time.time()) + 0.5  # periods are [now-1.5, now-0.5), [now-2.5, now-1.5)...

    # A new alarm with no data and notBreaching: INSUFFICIENT_DATA -> OK, announced.
    [first] = evaluator.evaluate([name], now=now)
    assert (first["OldStateValue"], first["NewStateValue"]) == ("INSUFFICIENT_DATA", "OK")

    put_error(cloud, namespace, now - 1.0)
    assert evaluator.evaluate([name], now=now) == []  # 1 of 3 breaching: still OK
    put_error(cloud, namespace, now - 2.0)
    [alarm] = evaluator.evaluate([name], now=now)  # 2 of 3 breaching
    assert state(cloud, name)["StateValue"] == "ALARM"

    [ok] = evaluator.evaluate([name], now=now + 3)  # errors aged out; missing is notBreaching
    assert state(cloud, name)["StateValue"] == "OK"
    assert evaluator.evaluate([name], now=now + 6) == []  # missing data keeps it OK
    assert state(cloud, name)["StateValue"] == "OK"

    published = notifications(cloud, url, 3)
    assert [(n["OldStateValue"], n["NewStateValue"]) for n in published] == [
        ("INSUFFICIENT_DATA", "OK"), ("OK", "ALARM"), ("ALARM", "OK")]
    assert published[1] == alarm and published[2] == ok
    assert alarm["AlarmName"] == name
    assert alarm["AlarmDescription"] == "process-order errors"
    assert alarm["AWSAccountId"] == cloud.account_id
    assert alarm["Region"] == "US East (N. Virginia)"
    assert alarm["NewStateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints")
    assert alarm["Trigger"] == {
        "MetricName": "Errors", "Namespace": namespace, "StatisticType": "Statistic",
        "Statistic": "SUM", "Unit": None,
        "Dimensions": [{"value": "process-order", "name": "FunctionName"}],
        "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1.0,
        "TreatMissingData": "notBreaching", "EvaluateLowSampleCountPercentile": ""}
    assert "no datapoints were received" in ok["NewStateReason"]

    # Each transition is in the alarm history, newest first, as CloudWatch keeps it.
    items = cloud.aws("cloudwatch").describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert [(i["HistoryItemType"], i["HistorySummary"]) for i in items] == [
        ("StateUpdate", "Alarm updated from ALARM to OK"),
        ("StateUpdate", "Alarm updated from OK to ALARM"),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to OK")]
    data = json.loads(items[1]["HistoryData"])
    assert data["oldState"]["stateValue"] == "OK"
    assert data["newState"]["stateReason"] == alarm["NewStateReason"]
    assert data["newState"]["stateReasonData"]["statistic"] == "Sum"


def test_missing_data_leaves_a_new_alarm_in_insufficient_data_silently(cloud, inbox, evaluator):
    topic, url = inbox
    name = errors_alarm(cloud, topic, unique("Quiet"), TreatMissingData="missing",
                        InsufficientDataActions=[topic])

    assert evaluator.evaluate([name]) == []
    assert state(cloud, name)["StateValue"] == "INSUFFICIENT_DATA"
    assert cloud.aws("sqs").receive_message(QueueUrl=url).get("Messages", []) == []


def test_percentile_alarm(cloud, inbox, evaluator):
    topic, url = inbox
    namespace = unique("Latency")
    name = unique("p99")
    cloudwatch = cloud.aws("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace=namespace, MetricName="Duration", ExtendedStatistic="p99",
        Period=60, EvaluationPeriods=1, Threshold=90, ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[topic])
    now = math.floor(time.time()) + 0.5
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": "Duration", "Values": [float(v) for v in range(1, 101)],
        "Timestamp": datetime.fromtimestamp(now - 1.0, timezone.utc)}])

    [alarm] = evaluator.evaluate([name], now=now)

    assert alarm["NewStateValue"] == "ALARM"  # p99 of 1..100 is 99 > 90
    assert alarm["Trigger"]["StatisticType"] == "ExtendedStatistic"
    assert alarm["Trigger"]["ExtendedStatistic"] == "p99"
    assert notifications(cloud, url, 1)[0]["AlarmName"] == name


def test_the_evaluator_runs_on_its_own_every_scaled_period(cloud, inbox, evaluator):
    topic, url = inbox
    namespace = unique("Live")
    name = errors_alarm(cloud, topic, namespace, EvaluationPeriods=1, DatapointsToAlarm=1)
    evaluator.start()
    wait_until(lambda: state(cloud, name)["StateValue"] == "OK", timeout=3)

    put_error(cloud, namespace, time.time())
    wait_until(lambda: state(cloud, name)["StateValue"] == "ALARM", timeout=4)
    wait_until(lambda: state(cloud, name)["StateValue"] == "OK", timeout=4)

    published = notifications(cloud, url, 3)
    assert [n["NewStateValue"] for n in published] == ["OK", "ALARM", "OK"]


def test_alarms_are_listed_again_after_an_alarm_write_through_the_gateway(cloud, evaluator,
                                                                          inbox):
    """The loop keeps the listed alarms between ticks; a write moto accepted through the
    gateway (its after-forward hook) makes the next tick list them again."""
    from localcloud.core.http import GatewayRequest, HttpResponse

    evaluator.fire_due(time.time())  # lists the alarms there are now
    name = errors_alarm(cloud, inbox[0], unique("Ns"))
    evaluator.fire_due(time.time())
    assert state(cloud, name)["StateReason"].startswith("Unchecked")  # not seen yet

    write = GatewayRequest("POST", "/", headers=[
        ("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261203/eu-west-1/monitoring/"
                          "aws4_request, SignedHeaders=host, Signature=x"),
        ("X-Amz-Target", "GraniteServiceVersion20100801.PutMetricAlarm")])
    [hook] = [hook for hook in evaluator.routes().after_forward if hook.matches(write)]
    hook.after(write, HttpResponse(200, [], b"{}"))
    evaluator.fire_due(time.time())
    assert state(cloud, name)["StateValue"] == "OK"  # evaluated: no errors, notBreaching
    assert not state(cloud, name)["StateReason"].startswith("Unchecked")
