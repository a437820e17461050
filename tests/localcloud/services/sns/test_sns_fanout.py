"""SnsFanout: SNS → Lambda subscriptions invoked after a Publish, honouring filter policies."""

from __future__ import annotations

import json
import re

import pytest

from localcloud.core.ports import InvokeResult
from localcloud.core.registry import SnsLambdaSubscription
from localcloud.services.sns.fanout import SnsFanout
from tests.localcloud.triggers_support import TestCloud, function_arn

TOPIC = "arn:aws:sns:us-east-1:123456789012:order-alerts"


@pytest.fixture
def cloud():
    cloud = TestCloud("http://127.0.0.1:9")  # the fan-out itself never calls AWS APIs
    cloud.registry.sns_lambda_subscriptions += [
        SnsLambdaSubscription(f"{TOPIC}:sub-big", TOPIC, function_arn("big-orders"),
                              json.dumps({"kind": ["big"], "amount": [{"numeric": [">", 100]}]})),
        SnsLambdaSubscription(f"{TOPIC}:sub-all", TOPIC, function_arn("all-orders")),
        SnsLambdaSubscription("arn:aws:sns:us-east-1:123456789012:other:sub",
                              "arn:aws:sns:us-east-1:123456789012:other", function_arn("other")),
    ]
    return cloud


def attributes(kind, amount):
    return {"kind": {"DataType": "String", "StringValue": kind},
            "amount": {"DataType": "Number", "StringValue": str(amount)}}


def test_lambda_subscriber_gets_the_sns_event_asynchronously(cloud):
    invoked = SnsFanout(cloud).after_publish(TOPIC, "hello", "New order", attributes("big", 150),
                                             "msg-1")

    assert sorted(invoked) == [f"{TOPIC}:sub-all", f"{TOPIC}:sub-big"]
    [call] = cloud.calls(function_arn("big-orders"))
    assert call.invocation_type == "Event"
    [record] = call.payload["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == f"{TOPIC}:sub-big"
    sns = record["Sns"]
    assert sns["Type"] == "Notification"
    assert sns["MessageId"] == "msg-1"
    assert sns["TopicArn"] == TOPIC
    assert sns["Subject"] == "New order"
    assert sns["Message"] == "hello"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sns["Timestamp"])
    assert sns["SignatureVersion"] == "1" and sns["Signature"]
    assert sns["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert f"SubscriptionArn={TOPIC}:sub-big" in sns["UnsubscribeUrl"]
    assert sns["MessageAttributes"] == {"kind": {"Type": "String", "Value": "big"},
                                        "amount": {"Type": "Number", "Value": "150"}}


@pytest.mark.parametrize("kind, amount, big_invoked", [
    ("big", 150, True),
    ("small", 150, False),  # string match fails
    ("big", 50, False),  # numeric match fails
])
def test_filter_policy_on_message_attributes(cloud, kind, amount, big_invoked):
    SnsFanout(cloud).after_publish(TOPIC, "m", None, attributes(kind, amount), "msg-2")

    assert bool(cloud.calls(function_arn("big-orders"))) is big_invoked
    assert len(cloud.calls(function_arn("all-orders"))) == 1  # no filter: always
    assert cloud.calls(function_arn("other")) == []  # another topic


def test_message_without_attributes_does_not_pass_a_filter(cloud):
    SnsFanout(cloud).after_publish(TOPIC, "m", None, None, "msg-3")

    assert cloud.calls(function_arn("big-orders")) == []
    assert cloud.calls(function_arn("all-orders"))[0].payload["Records"][0]["Sns"]["Subject"] \
        is None


def test_json_message_structure_sends_the_lambda_text(cloud):
    message = json.dumps({"default": "for everyone", "lambda": "for functions"})
    SnsFanout(cloud).after_publish(TOPIC, message, None, None, "msg-4",
                                   message_structure="json")

    [call] = cloud.calls(function_arn("all-orders"))
    assert call.payload["Records"][0]["Sns"]["Message"] == "for functions"


def test_a_failed_invoke_is_not_reported_as_delivered(cloud):
    cloud.responder = lambda function, payload, kind: (
        InvokeResult(404) if function == function_arn("all-orders") else None)

    invoked = SnsFanout(cloud).after_publish(TOPIC, "m", None, attributes("big", 500), "msg-5")

    assert invoked == [f"{TOPIC}:sub-big"]
