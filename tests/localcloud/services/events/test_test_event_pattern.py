"""`aws events test-event-pattern` against the local cloud answers as EventBridge does."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

EVENT = {"id": "1", "account": "123456789012", "source": "order.service", "time": "2026-01-01T00:00:00Z",
         "region": "eu-west-1", "resources": [], "detail-type": "Order Placed",
         "detail": {"amount": 1500, "orderId": "o-1"}}


@pytest.mark.parametrize(("pattern", "expected"), [
    ({"source": ["order.service"]}, True),
    ({"source": ["other"]}, False),
    ({"detail": {"amount": [{"numeric": [">", 1000]}]}}, True),
    ({"detail": {"amount": [{"numeric": [">", 2000]}]}}, False),
    ({"detail": {"orderId": [{"prefix": "o-"}]}}, True),
])
def test_the_result_is_the_rule_matchers(aws, pattern, expected):
    result = aws("events").test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))
    assert result["Result"] is expected


def test_an_event_without_a_mandatory_field_is_refused_naming_it(aws):
    event = {key: value for key, value in EVENT.items() if key != "resources"}
    with pytest.raises(ClientError) as raised:
        aws("events").test_event_pattern(EventPattern='{"source": ["order.service"]}', Event=json.dumps(event))
    assert raised.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert "resources" in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("pattern", ["{not json", '{"source": "order.service"}'])
def test_an_invalid_pattern_is_a_400(aws, pattern):
    with pytest.raises(ClientError) as raised:
        aws("events").test_event_pattern(EventPattern=pattern, Event=json.dumps(EVENT))
    assert raised.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
