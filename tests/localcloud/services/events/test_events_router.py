"""EventsRouter: PutEvents answered locally, rules matched, targets delivered with retries."""

from __future__ import annotations

import json
import re

import pytest

from localcloud.services.events.target_input import json_path, transform_input
from localcloud.services.events.router import EventsRouter, PutEventsError
from localcloud.core.ports import InvokeResult
from tests.localcloud.triggers_support import (  # noqa: F401  (moto_url is a fixture)
    TestCloud,
    drain,
    function_arn,
    make_queue,
    moto_url,
    unique,
)

ORDER_PLACED = {"source": ["order.service"], "detail-type": ["Order Placed"]}


@pytest.fixture
def cloud(moto_url):
    return TestCloud(moto_url, time_scale=1000)


@pytest.fixture
def router(cloud):
    router = EventsRouter(cloud, rules_ttl=0)
    yield router
    router.stop()


@pytest.fixture
def bus(cloud):
    name = unique("bus")
    cloud.aws("events").create_event_bus(Name=name)
    return name


def add_rule(cloud, bus, pattern, targets, *, state="ENABLED"):
    name = unique("rule")
    arn = cloud.aws("events").put_rule(Name=name, EventBusName=bus, State=state,
                                       EventPattern=json.dumps(pattern))["RuleArn"]
    cloud.aws("events").put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return arn


def order(bus, **detail):
    return {"Source": "order.service", "DetailType": "Order Placed", "EventBusName": bus,
            "Detail": json.dumps({"orderId": "o-1", **detail})}


def test_numeric_pattern_matches_json_numbers_only(cloud, router, bus):
    fn = unique("high-value")
    pattern = {**ORDER_PLACED, "detail": {"amount": [{"numeric": [">", 1000]}]}}
    add_rule(cloud, bus, pattern, [{"Id": "fn", "Arn": function_arn(fn)}])

    response = router.put_events({"Entries": [order(bus, amount=1500), order(bus, amount=50),
                                              order(bus, amount="1500")]})
    assert router.flush()

    assert response["FailedEntryCount"] == 0
    assert len(response["Entries"]) == 3
    amounts = [call.payload["detail"]["amount"] for call in cloud.calls(function_arn(fn))]
    assert amounts == [1500]


def test_lambda_target_gets_an_async_invoke_with_the_event_envelope(cloud, router, bus):
    fn = unique("send-email")
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "fn", "Arn": function_arn(fn)}])

    entry = {**order(bus, amount=10), "Resources": ["arn:aws:dynamodb:::table/orders"]}
    event_id = router.put_events({"Entries": [entry]})["Entries"][0]["EventId"]
    assert router.flush()

    [call] = cloud.calls(function_arn(fn))
    assert call.invocation_type == "Event"
    event = call.payload
    assert event["id"] == event_id
    assert event["version"] == "0"
    assert event["detail-type"] == "Order Placed"
    assert event["source"] == "order.service"
    assert event["account"] == cloud.account_id and event["region"] == cloud.region
    assert event["resources"] == ["arn:aws:dynamodb:::table/orders"]
    assert event["detail"] == {"orderId": "o-1", "amount": 10}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])


def test_disabled_rule_does_not_deliver(cloud, router, bus):
    sqs = cloud.aws("sqs")
    enabled_url, enabled_arn = make_queue(sqs, unique("enabled"))
    disabled_url, disabled_arn = make_queue(sqs, unique("disabled"))
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "q", "Arn": enabled_arn}])
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "q", "Arn": disabled_arn}], state="DISABLED")

    router.put_events({"Entries": [order(bus)]})
    assert router.flush()

    assert len(drain(sqs, enabled_url, 1)) == 1
    assert sqs.receive_message(QueueUrl=disabled_url).get("Messages", []) == []


def test_sqs_and_sns_targets_receive_the_event_once(cloud, router, bus):
    sqs, sns = cloud.aws("sqs"), cloud.aws("sns")
    queue_url, queue_arn = make_queue(sqs, unique("orders"))
    fifo_url, fifo_arn = make_queue(sqs, unique("orders") + ".fifo", FifoQueue="true")
    topic_arn = sns.create_topic(Name=unique("alerts"))["TopicArn"]
    alerts_url, alerts_arn = make_queue(sqs, unique("alerts-inbox"))
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=alerts_arn)
    add_rule(cloud, bus, ORDER_PLACED, [
        {"Id": "queue", "Arn": queue_arn},
        {"Id": "fifo", "Arn": fifo_arn, "SqsParameters": {"MessageGroupId": "orders"}},
        {"Id": "topic", "Arn": topic_arn}])

    event_id = router.put_events({"Entries": [order(bus, amount=5)]})["Entries"][0]["EventId"]
    assert router.flush()

    [queued] = drain(sqs, queue_url, 1)
    assert json.loads(queued["Body"])["id"] == event_id
    [fifo] = drain(sqs, fifo_url, 1)
    assert json.loads(fifo["Body"])["id"] == event_id
    [notification] = drain(sqs, alerts_url, 1)
    assert json.loads(json.loads(notification["Body"])["Message"])["id"] == event_id
    # Exactly once: moto's own PutEvents delivery path was not used as well.
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_state_machine_target_starts_an_execution_with_the_event(cloud, router, bus):
    sfn = cloud.aws("stepfunctions")
    machine = sfn.create_state_machine(
        name=unique("workflow"), roleArn=f"arn:aws:iam::{cloud.account_id}:role/workflow",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )["stateMachineArn"]
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "sfn", "Arn": machine, "InputPath": "$.detail"}])

    router.put_events({"Entries": [order(bus, amount=3)]})
    router.put_events({"Entries": [order(bus, amount=4)]})  # a second start must not collide
    assert router.flush()

    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    inputs = sorted(json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
                    ["amount"] for e in executions)
    assert inputs == [3, 4]


def test_put_events_is_never_forwarded_to_moto(cloud, router, bus):
    forwarded = []

    def record(**kwargs):
        forwarded.append(kwargs)

    events = cloud.aws("events")
    events.meta.events.register("before-call.events.PutEvents", record)
    fn = unique("fn")
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "fn", "Arn": function_arn(fn)}])
    try:
        router.put_events({"Entries": [order(bus)]})
        assert router.flush()
    finally:
        events.meta.events.unregister("before-call.events.PutEvents", record)

    assert len(cloud.calls(function_arn(fn))) == 1
    assert forwarded == []


def test_input_input_path_and_input_transformer(cloud, router, bus):
    sqs = cloud.aws("sqs")
    constant_url, constant_arn = make_queue(sqs, unique("constant"))
    path_url, path_arn = make_queue(sqs, unique("path"))
    template_url, template_arn = make_queue(sqs, unique("template"))
    add_rule(cloud, bus, ORDER_PLACED, [
        {"Id": "constant", "Arn": constant_arn, "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": path_arn, "InputPath": "$.detail"},
        {"Id": "template", "Arn": template_arn, "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.orderId", "amount": "$.detail.amount"},
            "InputTemplate": '{"order": <id>, "text": "order <id> costs <amount>"}'}}])

    router.put_events({"Entries": [order(bus, amount=1500)]})
    assert router.flush()

    assert json.loads(drain(sqs, constant_url, 1)[0]["Body"]) == {"fixed": True}
    assert json.loads(drain(sqs, path_url, 1)[0]["Body"]) == {"orderId": "o-1", "amount": 1500}
    assert json.loads(drain(sqs, template_url, 1)[0]["Body"]) == {
        "order": "o-1", "text": "order o-1 costs 1500"}


def test_json_path_and_transformer_edge_cases():
    event = {"detail": {"items": [{"sku": "a-1"}], "odd-key": {"x": 1}}}
    assert json_path(event, "$") is event
    assert json_path(event, "$.detail.items[0].sku") == "a-1"
    assert json_path(event, "$.detail['odd-key'].x") == 1
    assert json_path(event, "$.detail.missing.deeper") is None
    with pytest.raises(ValueError):
        json_path(event, "detail.items")
    transformer = {"InputPathsMap": {"item": "$.detail.items[0]"},
                   "InputTemplate": '{"item": <item>, "rule": "<aws.events.rule-name>"}'}
    rendered = transform_input(transformer, event,
                               "arn:aws:events:us-east-1:123456789012:rule/bus/my-rule")
    assert json.loads(rendered) == {"item": {"sku": "a-1"}, "rule": "my-rule"}


def test_failing_target_is_retried_then_sent_to_its_dead_letter_queue(cloud, router, bus):
    sqs = cloud.aws("sqs")
    dlq_url, dlq_arn = make_queue(sqs, unique("target-dlq"))
    fn = unique("throttled")
    cloud.responder = lambda function, payload, kind: InvokeResult(429)
    rule_arn = add_rule(cloud, bus, ORDER_PLACED, [{
        "Id": "fn", "Arn": function_arn(fn),
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
        "DeadLetterConfig": {"Arn": dlq_arn}}])

    event_id = router.put_events({"Entries": [order(bus)]})["Entries"][0]["EventId"]

    [dead] = drain(sqs, dlq_url, 1)
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert json.loads(dead["Body"])["id"] == event_id
    assert attributes["RULE_ARN"] == rule_arn
    assert attributes["TARGET_ARN"] == function_arn(fn)
    assert attributes["ERROR_CODE"] == "THROTTLING"
    assert attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert len(cloud.calls(function_arn(fn))) == 3  # the first attempt and two retries


def test_maximum_event_age_ends_the_retries(cloud, router, bus):
    sqs = cloud.aws("sqs")
    dlq_url, dlq_arn = make_queue(sqs, unique("age-dlq"))
    fn = unique("down")
    cloud.responder = lambda function, payload, kind: InvokeResult(429)
    add_rule(cloud, bus, ORDER_PLACED, [{
        "Id": "fn", "Arn": function_arn(fn),
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": dlq_arn}}])

    router.put_events({"Entries": [order(bus)]})

    [dead] = drain(sqs, dlq_url, 1)
    assert dead["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == \
        "MaximumEventAgeInSeconds"
    # Backoff doubles from about a second: a minute of simulated age allows only a few tries.
    assert 2 <= len(cloud.calls(function_arn(fn))) <= 8


def test_missing_target_goes_to_the_dead_letter_queue_without_retries(cloud, router, bus):
    sqs = cloud.aws("sqs")
    dlq_url, dlq_arn = make_queue(sqs, unique("missing-dlq"))
    missing_queue = f"arn:aws:sqs:{cloud.region}:{cloud.account_id}:{unique('gone')}"
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "q", "Arn": missing_queue,
                                         "DeadLetterConfig": {"Arn": dlq_arn}}])

    router.put_events({"Entries": [order(bus)]})

    [dead] = drain(sqs, dlq_url, 1)
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_event_bus_target_routes_through_the_other_bus(cloud, router, bus):
    sqs, events = cloud.aws("sqs"), cloud.aws("events")
    other = unique("other-bus")
    other_arn = events.create_event_bus(Name=other)["EventBusArn"]
    url, arn = make_queue(sqs, unique("from-other-bus"))
    add_rule(cloud, bus, ORDER_PLACED, [{"Id": "bus", "Arn": other_arn}])
    add_rule(cloud, other, ORDER_PLACED, [{"Id": "q", "Arn": arn}])

    router.put_events({"Entries": [order(bus, amount=7)]})
    assert router.flush()

    [message] = drain(sqs, url, 1)
    assert json.loads(message["Body"])["detail"] == {"orderId": "o-1", "amount": 7}


def test_invalid_entries_fail_one_by_one(router, bus):
    response = router.put_events({"Entries": [
        {"DetailType": "x", "Detail": "{}", "EventBusName": bus},
        {"Source": "s", "DetailType": "x", "Detail": "not json", "EventBusName": bus},
        {"Source": "s", "DetailType": "x", "Detail": "{}", "EventBusName": unique("no-bus")},
        {"Source": "s", "DetailType": "x", "Detail": "{}", "EventBusName": bus},
    ]})

    assert response["FailedEntryCount"] == 3
    codes = [entry.get("ErrorCode") for entry in response["Entries"]]
    assert codes == ["InvalidArgument", "MalformedDetail", "ResourceNotFoundException", None]
    assert "EventId" in response["Entries"][3]
    with pytest.raises(PutEventsError) as error:
        router.put_events({"Entries": [order(bus)] * 11})
    assert error.value.code == "ValidationException"


def test_cached_rules_are_reread_after_invalidate(cloud, bus):
    router = EventsRouter(cloud, rules_ttl=60)
    fn = unique("cached")
    rule_arn = add_rule(cloud, bus, ORDER_PLACED, [{"Id": "fn", "Arn": function_arn(fn)}])
    rule_name = rule_arn.rsplit("/", 1)[-1]
    try:
        router.put_events({"Entries": [order(bus)]})
        cloud.aws("events").disable_rule(Name=rule_name, EventBusName=bus)
        router.put_events({"Entries": [order(bus)]})  # still the cached, enabled rule
        router.invalidate()
        router.put_events({"Entries": [order(bus)]})  # now the rule is seen disabled
        assert router.flush()
    finally:
        router.stop()

    assert len(cloud.calls(function_arn(fn))) == 2
