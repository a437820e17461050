"""`python -m ops redrive`: each kind of dead-letter queue goes back where its messages failed,
with progress and a summary; moto has no StartMessageMoveTask, so the tool falls back loudly."""

from __future__ import annotations

import json

import pytest

from ops.cli import main

ACCOUNT = "123456789012"


def make_queue(sqs, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    return url, arn


def bodies(sqs, url: str) -> list[str]:
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    VisibilityTimeout=30).get("Messages", [])
        if not batch:
            return sorted(found)
        found += [m["Body"] for m in batch]


@pytest.fixture
def redrive_dlq(aws):
    """An SQS queue whose failed messages (maxReceiveCount 1) went to its DLQ."""
    sqs = aws("sqs")
    dlq_url, dlq_arn = make_queue(sqs, "orders-dlq")
    source_url, _ = make_queue(sqs, "orders", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    for n in range(3):
        sqs.send_message(QueueUrl=source_url, MessageBody=f"order-{n}")
    for _ in range(2):  # received once, then moved to the DLQ on the next receive
        sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "3"
    return sqs, source_url, dlq_url


def test_an_sqs_dlq_goes_back_to_its_source_with_a_loud_fallback(redrive_dlq, capsys):
    sqs, source_url, dlq_url = redrive_dlq

    code = main(["redrive", "orders-dlq"])

    out = capsys.readouterr().out
    assert code == 0
    assert "StartMessageMoveTask is not available on this endpoint" in out
    assert "FALLING BACK" in out
    assert "source queue(s): orders" in out
    assert "redrive orders-dlq (receive/send/delete): moved 3, skipped 0, failed 0" in out
    assert bodies(sqs, source_url) == ["order-0", "order-1", "order-2"]
    assert bodies(sqs, dlq_url) == []


def test_max_moves_only_that_many(redrive_dlq, capsys):
    sqs, source_url, dlq_url = redrive_dlq

    assert main(["redrive", dlq_url, "--max", "2"]) == 0

    assert "moved 2," in capsys.readouterr().out
    assert len(bodies(sqs, source_url)) == 2 and len(bodies(sqs, dlq_url)) == 1


def test_dry_run_moves_nothing(redrive_dlq, capsys):
    sqs, source_url, dlq_url = redrive_dlq

    assert main(["redrive", "orders-dlq", "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert "dry run: would start StartMessageMoveTask orders-dlq" in out
    assert "would move 3" in out
    assert bodies(sqs, source_url) == [] and len(bodies(sqs, dlq_url)) == 3


def test_to_sends_everything_to_the_given_queue(redrive_dlq, capsys):
    sqs, source_url, dlq_url = redrive_dlq
    other_url, other_arn = make_queue(sqs, "elsewhere")

    assert main(["redrive", "orders-dlq", "--to", other_arn, "--max", "10"]) == 0

    assert len(bodies(sqs, other_url)) == 3 and bodies(sqs, source_url) == []


def eventbridge_dead_letter(sqs, dlq_url: str, event: dict, rule_arn: str,
                            target_arn: str) -> None:
    """A message as EventBridge writes it to a target's DLQ: the event, and why it failed."""
    attributes = {"RULE_ARN": rule_arn, "TARGET_ARN": target_arn,
                  "ERROR_CODE": "SDK_CLIENT_ERROR", "RETRY_ATTEMPTS": "2"}
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps(event), MessageAttributes={
        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()})


ORDER_PLACED = {"version": "0", "id": "e-1", "detail-type": "Order Placed",
                "source": "order.service", "account": ACCOUNT, "region": "eu-west-1",
                "resources": [], "detail": {"orderId": "o-1", "amount": 5}}


def test_an_eventbridge_dlq_goes_back_to_its_sqs_target(aws, capsys):
    sqs = aws("sqs")
    dlq_url, _ = make_queue(sqs, "order-events-dlq")
    target_url, target_arn = make_queue(sqs, "order-queue")
    eventbridge_dead_letter(sqs, dlq_url, ORDER_PLACED,
                            f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/orders/order-placed",
                            target_arn)

    assert main(["redrive", "order-events-dlq"]) == 0

    assert "-> target queue order-queue" in capsys.readouterr().out
    assert [json.loads(b) for b in bodies(sqs, target_url)] == [ORDER_PLACED]


def test_an_eventbridge_dlq_of_another_target_puts_the_event_again(aws, capsys):
    sqs, events = aws("sqs"), aws("events")
    dlq_url, _ = make_queue(sqs, "order-events-dlq")
    tap_url, tap_arn = make_queue(sqs, "tap")
    events.create_event_bus(Name="orders")
    rule_arn = events.put_rule(Name="order-placed", EventBusName="orders",
                               EventPattern=json.dumps({"source": ["order.service"]}))["RuleArn"]
    events.put_targets(Rule="order-placed", EventBusName="orders",
                       Targets=[{"Id": "tap", "Arn": tap_arn}])
    eventbridge_dead_letter(sqs, dlq_url, ORDER_PLACED, rule_arn,
                            f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts")

    assert main(["redrive", "order-events-dlq"]) == 0

    assert "-> bus orders (PutEvents again)" in capsys.readouterr().out
    [delivered] = [json.loads(b) for b in bodies(sqs, tap_url)]
    assert delivered["detail"] == ORDER_PLACED["detail"]
    assert delivered["detail-type"] == "Order Placed"
    assert bodies(sqs, dlq_url) == []


def test_a_lambda_failure_record_invokes_the_function_again(aws, capsys):
    sqs = aws("sqs")
    dlq_url, _ = make_queue(sqs, "fanout-failures")
    record = {"version": "1.0", "requestContext": {
        "functionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:nowhere:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": ORDER_PLACED, "responseContext": {"functionError": "Unhandled"}}
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps(record))

    # The function does not exist here: the invoke fails and the record stays for later.
    assert main(["redrive", "fanout-failures"]) == 1

    out = capsys.readouterr().out
    assert "FAILED to send to function nowhere (asynchronous invoke)" in out
    assert "moved 0, skipped 0, failed 1" in out
    assert len(bodies(sqs, dlq_url)) == 1


def test_a_message_of_unknown_origin_is_left_and_reported(aws, capsys):
    sqs = aws("sqs")
    dlq_url, _ = make_queue(sqs, "mystery-dlq")
    sqs.send_message(QueueUrl=dlq_url, MessageBody="who sent me?")

    assert main(["redrive", "mystery-dlq"]) == 1

    out = capsys.readouterr().out
    assert "SKIPPED" in out and "give --to" in out
    assert bodies(sqs, dlq_url) == ["who sent me?"]
