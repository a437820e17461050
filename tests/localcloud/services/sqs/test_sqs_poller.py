"""SqsPollers: SQS event source mappings polled locally, with batches and partial failures."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time

import pytest

from localcloud.core.ports import InvokeResult
from localcloud.core.registry import EventSourceMapping, FunctionSpec
from localcloud.services.sqs.poller import SqsPollers, reported_failures
from tests.localcloud.triggers_support import (  # noqa: F401  (moto_url is a fixture)
    TestCloud,
    drain,
    function_arn,
    make_queue,
    moto_url,
    queue_depth,
    unique,
    wait_until,
)


@pytest.fixture
def cloud(moto_url):
    return TestCloud(moto_url)


@pytest.fixture
def pollers(cloud):
    pollers = SqsPollers(cloud)
    yield pollers
    started = time.monotonic()
    pollers.stop()
    assert time.monotonic() - started < 3  # stop() joins promptly


def queue_with_dlq(cloud, *, max_receive_count=2, visibility_timeout=1):
    sqs = cloud.aws("sqs")
    dlq_url, dlq_arn = make_queue(sqs, unique("dlq"))
    url, arn = make_queue(sqs, unique("orders"), VisibilityTimeout=str(visibility_timeout),
                          RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn,
                                                    "maxReceiveCount": max_receive_count}))
    return url, arn, dlq_url


def map_queue(cloud, arn, function, **settings):
    """A mapping of `arn` to `function` (registered too: only existing functions are polled)."""
    cloud.registry.functions[function] = FunctionSpec(
        name=function, arn=function_arn(function), handler="app.handler", runtime="python3.13",
        role_arn="", code_dir="", layer_dirs=[], environment={})
    mapping = EventSourceMapping(uuid=unique("esm"), function_name=function,
                                 event_source_arn=arn, **settings)
    cloud.registry.event_source_mappings.append(mapping)
    return mapping


def records(call):
    return call.payload["Records"]


def test_partial_batch_failure_deletes_the_rest_and_the_failed_one_reaches_the_dlq(
        cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, dlq_url = queue_with_dlq(cloud, max_receive_count=2, visibility_timeout=1)
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": "bad" if i == 3 else f"order-{i}",
         "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"}}}
        for i in range(10)])

    def report_bad(function, payload, kind):
        failures = [{"itemIdentifier": r["messageId"]} for r in payload["Records"]
                    if r["body"] == "bad"]
        return InvokeResult(200, json.dumps({"batchItemFailures": failures}).encode())

    cloud.responder = report_bad
    map_queue(cloud, arn, "process-order", batch_size=10, maximum_batching_window_seconds=1,
              function_response_types=["ReportBatchItemFailures"])
    pollers.start()

    [dead] = drain(sqs, dlq_url, 1, timeout=10)
    calls = cloud.calls("process-order")

    assert dead["Body"] == "bad"
    assert len(records(calls[0])) == 10
    assert all(call.invocation_type == "RequestResponse" for call in calls)
    # Only the failed message came back (after the visibility timeout), a second time.
    assert [[r["body"] for r in records(call)] for call in calls[1:]] == [["bad"]]
    assert records(calls[1])[0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert queue_depth(sqs, url) == 0


def test_records_have_the_lambda_sqs_event_shape(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud)
    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "traceId": {"DataType": "String", "StringValue": "t-1"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    map_queue(cloud, arn, "reader")
    pollers.start()

    call = wait_until(lambda: cloud.calls("reader"))[0]
    [record] = records(call)

    assert record["body"] == "hello"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == cloud.region
    assert record["messageId"] and record["receiptHandle"]
    assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
            "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["traceId"] == {
        "stringValue": "t-1", "stringListValues": [], "binaryListValues": [],
        "dataType": "String"}
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["md5OfMessageAttributes"]
    wait_until(lambda: queue_depth(sqs, url) == 0)  # success deletes the batch


def test_function_error_deletes_nothing(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud, max_receive_count=5, visibility_timeout=1)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": body, "MessageBody": body}
                                                  for body in ("a", "b")])
    outcomes = iter([InvokeResult(200, b'{"errorMessage": "boom"}', function_error="Unhandled")])
    cloud.responder = lambda function, payload, kind: next(outcomes, None)
    map_queue(cloud, arn, "flaky", batch_size=10)
    pollers.start()

    wait_until(lambda: len(cloud.calls("flaky")) >= 2, timeout=6)
    first, second = cloud.calls("flaky")[:2]

    assert sorted(r["body"] for r in records(first)) == ["a", "b"]
    assert sorted(r["messageId"] for r in records(second)) == \
        sorted(r["messageId"] for r in records(first))
    assert {r["attributes"]["ApproximateReceiveCount"] for r in records(second)} == {"2"}
    wait_until(lambda: queue_depth(sqs, url) == 0)


def test_batching_window_gathers_messages_sent_later(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud, visibility_timeout=30)
    map_queue(cloud, arn, "batcher", batch_size=10, maximum_batching_window_seconds=2)
    pollers.start()
    sent = time.monotonic()
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "1"},
                                                  {"Id": "2", "MessageBody": "2"}])
    time.sleep(0.6)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "3", "MessageBody": "3"},
                                                  {"Id": "4", "MessageBody": "4"}])

    [call] = wait_until(lambda: cloud.calls("batcher"), timeout=6)

    assert sorted(r["body"] for r in records(call)) == ["1", "2", "3", "4"]
    assert call.at - sent >= 1.5  # waited for the window before invoking


def test_a_message_received_again_while_gathering_is_in_the_batch_once(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud, max_receive_count=10, visibility_timeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="once")
    map_queue(cloud, arn, "gatherer", batch_size=10, maximum_batching_window_seconds=2)
    pollers.start()

    [call] = wait_until(lambda: cloud.calls("gatherer"), timeout=6)

    assert [r["body"] for r in records(call)] == ["once"]
    assert int(records(call)[0]["attributes"]["ApproximateReceiveCount"]) >= 2
    wait_until(lambda: queue_depth(sqs, url) == 0)  # deleted with its newest receipt handle


def test_a_full_batch_does_not_wait_for_the_window(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud, visibility_timeout=30)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)}
                                                  for i in range(3)])
    map_queue(cloud, arn, "eager", batch_size=3, maximum_batching_window_seconds=20)
    started = time.monotonic()
    pollers.start()

    [call] = wait_until(lambda: cloud.calls("eager"), timeout=5)

    assert len(records(call)) == 3
    assert call.at - started < 3


def test_maximum_concurrency_runs_batches_in_parallel(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud, visibility_timeout=30)
    running, peak = [0], [0]
    lock = threading.Lock()

    def slow(function, payload, kind):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.8)
        with lock:
            running[0] -= 1
        return None

    cloud.responder = slow
    map_queue(cloud, arn, "parallel", batch_size=1, maximum_concurrency=2)
    pollers.start()
    time.sleep(0.2)  # both pollers waiting
    for body in ("x", "y"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    wait_until(lambda: len(cloud.calls("parallel")) == 2 and running[0] == 0, timeout=6)
    assert peak[0] == 2


@pytest.mark.parametrize("payload, expected", [
    (b"null", set()),
    (b"{}", set()),
    (b'{"batchItemFailures": []}', set()),
    (b'{"batchItemFailures": [{"itemIdentifier": "m1"}]}', {"m1"}),
    (b'{"batchItemFailures": [{"itemIdentifier": "unknown"}]}', None),
    (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
    (b'{"batchItemFailures": [{"id": "m1"}]}', None),
    (b'"done"', None),
    (b"not json", None),
])
def test_batch_item_failure_responses(payload, expected):
    assert reported_failures(payload, {"m1", "m2"}) == expected


def test_sync_follows_changed_disabled_and_orphaned_mappings(cloud, pollers):
    sqs = cloud.aws("sqs")
    url, arn, _ = queue_with_dlq(cloud, visibility_timeout=30)
    mapping = map_queue(cloud, arn, "follower", batch_size=1)
    pollers.start()
    sqs.send_message(QueueUrl=url, MessageBody="first")
    wait_until(lambda: cloud.calls("follower"))
    assert pollers.polled() == [mapping.uuid]

    # a new batch size: read on the next receive, by the same pollers (a receive already
    # waiting keeps the old size: it takes the marker, the next one the three)
    cloud.registry.event_source_mappings = [
        dataclasses.replace(mapping, batch_size=3, maximum_batching_window_seconds=1)]
    pollers.sync()
    sqs.send_message(QueueUrl=url, MessageBody="marker")
    wait_until(lambda: len(cloud.calls("follower")) == 2)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": str(n)}
                                                  for n in range(3)])
    wait_until(lambda: len(cloud.calls("follower")) == 3)
    assert len(records(cloud.calls("follower")[2])) == 3

    cloud.registry.event_source_mappings = [dataclasses.replace(mapping, enabled=False)]
    pollers.sync()
    assert pollers.polled() == []

    cloud.registry.event_source_mappings = [mapping]
    pollers.sync()
    assert pollers.polled() == [mapping.uuid]
    del cloud.registry.functions["follower"]  # the function was deleted: its mapping stays
    pollers.sync()
    assert pollers.polled() == []
