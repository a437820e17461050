"""CloudWatch DescribeAlarmHistory through the moto server as the local cloud runs it, with
boto3 and the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def cloudwatch(moto_client):
    client = moto_client("cloudwatch")
    for name in ("cpu", "disk"):
        client.put_metric_alarm(AlarmName=name, Namespace="N", MetricName=name, Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold")
    for name, state in [("cpu", "ALARM"), ("disk", "OK"), ("cpu", "ALARM"), ("cpu", "OK")]:
        client.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"to {state}",
                               StateReasonData=json.dumps({"version": "1.0"}))
    return client


def summaries(response) -> list[tuple[str, str]]:
    return [(item["AlarmName"], item["HistorySummary"]) for item in response["AlarmHistoryItems"]]


def test_a_new_alarm_starts_in_insufficient_data(moto_client):
    client = moto_client("cloudwatch")
    client.put_metric_alarm(AlarmName="new", Namespace="N", MetricName="m", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")
    assert client.describe_alarms(AlarmNames=["new"])["MetricAlarms"][0]["StateValue"] == \
        "INSUFFICIENT_DATA"


def test_state_changes_are_history_items_newest_first(cloudwatch):
    response = cloudwatch.describe_alarm_history(AlarmName="cpu")
    # Setting the state it already has (ALARM twice) is no change.
    assert summaries(response) == [("cpu", "Alarm updated from ALARM to OK"),
                                   ("cpu", "Alarm updated from INSUFFICIENT_DATA to ALARM")]
    newest = response["AlarmHistoryItems"][0]
    assert newest["HistoryItemType"] == "StateUpdate"
    assert newest["AlarmType"] == "MetricAlarm"
    assert json.loads(newest["HistoryData"]) == {
        "version": "1.0",
        "oldState": {"stateValue": "ALARM", "stateReason": "to ALARM",
                     "stateReasonData": {"version": "1.0"}},
        "newState": {"stateValue": "OK", "stateReason": "to OK",
                     "stateReasonData": {"version": "1.0"}}}


def test_filters_order_and_pages(cloudwatch):
    everything = cloudwatch.describe_alarm_history(ScanBy="TimestampAscending")
    assert summaries(everything) == [("cpu", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
                                     ("disk", "Alarm updated from INSUFFICIENT_DATA to OK"),
                                     ("cpu", "Alarm updated from ALARM to OK")]
    assert cloudwatch.describe_alarm_history(HistoryItemType="ConfigurationUpdate")[
        "AlarmHistoryItems"] == []
    assert cloudwatch.describe_alarm_history(AlarmTypes=["CompositeAlarm"])[
        "AlarmHistoryItems"] == []
    middle = everything["AlarmHistoryItems"][1]["Timestamp"]
    assert summaries(cloudwatch.describe_alarm_history(StartDate=middle, EndDate=middle)) == [
        ("disk", "Alarm updated from INSUFFICIENT_DATA to OK")]
    first = cloudwatch.describe_alarm_history(MaxRecords=2)
    rest = cloudwatch.describe_alarm_history(MaxRecords=2, NextToken=first["NextToken"])
    assert "NextToken" not in rest
    assert summaries(first) + summaries(rest) == list(reversed(summaries(everything)))


def test_history_outlives_the_alarm(moto_client):
    client = moto_client("cloudwatch")
    client.put_metric_alarm(AlarmName="gone", Namespace="N", MetricName="m", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")
    client.set_alarm_state(AlarmName="gone", StateValue="ALARM", StateReason="r")
    client.delete_alarms(AlarmNames=["gone"])
    assert summaries(client.describe_alarm_history(AlarmName="gone")) == [
        ("gone", "Alarm updated from INSUFFICIENT_DATA to ALARM")]


def test_the_aws_cli_reads_the_history(cloudwatch):
    endpoint = cloudwatch.meta.endpoint_url
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    env.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "cloudwatch", "describe-alarm-history",
         "--alarm-name", "disk", "--endpoint-url", endpoint, "--region", "eu-west-1"],
        capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    [item] = json.loads(result.stdout)["AlarmHistoryItems"]
    assert item["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to OK"
