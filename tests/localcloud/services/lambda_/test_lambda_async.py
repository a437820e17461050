"""Asynchronous invocation: retries, throttles and the on-failure destination record."""

from __future__ import annotations

import json
import threading
import time

from localcloud.core.ports import InvokeResult
from localcloud.core.registry import AsyncInvokeConfig, FunctionSpec
from localcloud.services.lambda_.async_invoke import _Event, invocation_record
from tests.waiting import wait_for


def test_event_invocation_is_accepted_at_once_and_runs_in_the_background(invoke, status):
    before = status()["functions"].get("fixture-echo", {}).get("invocations", 0)
    response, body = invoke("fixture-echo", {"async": True}, InvocationType="Event")
    assert response["StatusCode"] == 202 and not body  # accepted; nothing returned
    assert wait_for(lambda: status()["functions"]["fixture-echo"]["invocations"] > before)


def test_failing_event_is_retried_then_recorded_in_the_failure_queue(invoke, aws, outputs,
                                                                     status):
    sqs = aws("sqs")
    before = status()["functions"].get("fixture-fail", {}).get("invocations", 0)
    response, _ = invoke("fixture-fail", {"why": "async"}, InvocationType="Event")
    assert response["StatusCode"] == 202

    def receive():
        return sqs.receive_message(QueueUrl=outputs["failuresUrl"], WaitTimeSeconds=1,
                                   MaxNumberOfMessages=10).get("Messages")

    messages = wait_for(receive, timeout=30)
    assert messages, "no failure record reached the on-failure destination"
    record = json.loads(messages[0]["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3  # maximumRetryAttempts=2
    assert record["requestContext"]["functionArn"].endswith(":function:fixture-fail:$LATEST")
    assert record["requestPayload"] == {"why": "async"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert status()["functions"]["fixture-fail"]["invocations"] == before + 3


def test_throttled_event_is_retried_until_it_runs(invoke, status):
    invoke("fixture-slow", {"sleep": 0})
    before = status()["functions"]["fixture-slow"]
    holder = threading.Thread(target=invoke, args=("fixture-slow", {"sleep": 0.8}))
    holder.start()  # holds the function's only concurrency slot
    time.sleep(0.2)
    invoke("fixture-slow", {"sleep": 0}, InvocationType="Event")
    holder.join()
    after = wait_for(lambda: (s := status()["functions"]["fixture-slow"])["invocations"]
                  >= before["invocations"] + 2 and s)
    assert after["throttles"] >= before["throttles"] + 1


def test_record_for_an_event_too_old_to_run_has_no_response():
    spec = FunctionSpec(name="f", arn="arn:aws:lambda:us-east-1:123456789012:function:f",
                        handler="h.handler", runtime="python3.13", role_arn="", code_dir="",
                        layer_dirs=[], environment={}, async_config=AsyncInvokeConfig())
    record = invocation_record(spec, _Event("f", b'{"a": 1}', None), None, "EventAgeExceeded")
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestPayload"] == {"a": 1}
    assert "responseContext" not in record and "responsePayload" not in record


def test_success_record_has_no_function_error():
    spec = FunctionSpec(name="f", arn="arn:aws:lambda:us-east-1:123456789012:function:f",
                        handler="h.handler", runtime="python3.13", role_arn="", code_dir="",
                        layer_dirs=[], environment={})
    event = _Event("f", b"{}", None, attempts=1)
    record = invocation_record(spec, event, InvokeResult(200, b'{"ok": true}'), "Success")
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": True}
