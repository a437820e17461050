"""CloudWatch Logs JSON filter patterns through the moto server as the local cloud runs it."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError


EVENTS = [
    {"level": "ERROR", "orderId": "o-1", "amount": 250, "tags": ["vip"]},
    {"level": "INFO", "orderId": "o-1", "amount": 50, "note": None},
    {"level": "ERROR", "orderId": "o-2", "amount": 120.5, "paid": True},
]


@pytest.fixture(scope="module")
def logs(moto_client):
    client = moto_client("logs")
    client.create_log_group(logGroupName="g")
    client.create_log_stream(logGroupName="g", logStreamName="s")
    client.put_log_events(logGroupName="g", logStreamName="s", logEvents=[
        {"timestamp": int(time.time() * 1000) + n, "message": message}
        for n, message in enumerate([json.dumps(e) for e in EVENTS] + ["plain ERROR text"])])
    return client


def matching(logs, pattern: str) -> list:
    events = logs.filter_log_events(logGroupName="g", filterPattern=pattern)["events"]
    return [json.loads(e["message"]) for e in events]


@pytest.mark.parametrize("pattern, expected", [
    ('{ $.level = "ERROR" }', [0, 2]),
    ('{ $.orderId = "o-1" && $.amount > 100 }', [0]),
    ('{ $.level != "ERROR" }', [1]),
    ('{ $.amount >= 120.5 }', [0, 2]),
    ('{ $.amount <= 50 || $.orderId = o-2 }', [1, 2]),
    ('{ ($.orderId = "o-*" && $.amount < 100) || $.tags[0] = "vip" }', [0, 1]),
    ('{ $.level = "ERR*" }', [0, 2]),
    ('{ $.note IS NULL }', [1]),
    ('{ $.paid IS TRUE }', [2]),
    ('{ $.paid NOT EXISTS }', [0, 1]),
])
def test_json_patterns_select_as_aws_does(logs, pattern, expected):
    assert matching(logs, pattern) == [EVENTS[n] for n in expected]


def test_term_patterns_still_match_text(logs):
    events = logs.filter_log_events(logGroupName="g", filterPattern="plain")["events"]
    assert [e["message"] for e in events] == ["plain ERROR text"]


@pytest.mark.parametrize("pattern", ['{ $.level = }', '{ $.level > "x" }', '{ $.a = 1'])
def test_a_malformed_json_pattern_is_refused(logs, pattern):
    with pytest.raises(ClientError) as raised:
        logs.filter_log_events(logGroupName="g", filterPattern=pattern)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
