"""The Lambda executor, through the gateway's Invoke API."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.waiting import wait_for


def test_sync_invoke_returns_the_handler_result_with_a_real_context(invoke, local_cloud):
    response, body = invoke("fixture-echo", {"hello": "world"})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"hello": "world"}
    context = body["context"]
    assert context["function_name"] == "fixture-echo"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:fixture-echo")
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/fixture-echo"
    assert context["log_stream_name"].count("/") == 3
    assert len(context["aws_request_id"]) == 36
    assert 0 < context["remaining_ms"] <= 10_000


def test_worker_has_only_its_function_environment_and_the_lambda_variables(invoke, endpoint):
    os.environ["LOCALCLOUD_TEST_LEAK"] = "must not reach functions"
    _, echo = invoke("fixture-echo")
    _, other = invoke("fixture-store", {"pk": "env-check"})  # started after the variable was set
    env = echo["env"]
    assert env["GREETING"] == "hello from config"
    assert env["FUNCTION_KEY"] == "echo"
    assert env["AWS_ENDPOINT_URL"] == endpoint
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fixture-echo"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/fixture-echo"
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    assert env["AWS_LAMBDA_LOG_LEVEL"] == "INFO"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert env["_HANDLER"] == "handlers.app.echo"
    assert env["LAMBDA_TASK_ROOT"].endswith(os.path.join("functions", "fixture-echo"))
    assert "PYTEST_CURRENT_TEST" not in env and "LOCALCLOUD_TEST_LEAK" not in env
    assert echo["layer"] == "from-layer"  # the layer's python/ folder is importable
    assert other["value"] == "v"  # boto3 in the function reached DynamoDB via AWS_ENDPOINT_URL
    del os.environ["LOCALCLOUD_TEST_LEAK"]


def test_second_invocation_reuses_the_warm_worker(invoke, status):
    _, first = invoke("fixture-emf", {"count": 1})
    before = status()["functions"]["fixture-emf"]
    _, second = invoke("fixture-emf", {"count": 1})
    after = status()["functions"]["fixture-emf"]
    assert after["cold_starts"] == before["cold_starts"] == 1
    assert after["invocations"] == before["invocations"] + 1
    assert after["worker_pids"] == before["worker_pids"]


def test_an_idle_worker_is_retired_and_the_next_call_is_cold(invoke, status, local_cloud):
    invoke("fixture-emf", {"count": 1})
    before = status()["functions"]["fixture-emf"]
    assert before["worker_pids"]
    # As if the idle timeout had passed for every idle worker.
    retired = local_cloud.executor.retire_idle(
        now=time.monotonic() + local_cloud.executor.idle_timeout + 1, function="fixture-emf")
    assert retired >= 1
    assert status()["functions"]["fixture-emf"]["worker_pids"] == []
    for pid in before["worker_pids"]:
        assert not _alive(pid)
    invoke("fixture-emf", {"count": 1})
    after = status()["functions"]["fixture-emf"]
    assert after["cold_starts"] == before["cold_starts"] + 1


def test_a_recently_used_worker_is_kept(invoke, status, local_cloud):
    invoke("fixture-emf", {"count": 1})
    pids = status()["functions"]["fixture-emf"]["worker_pids"]
    local_cloud.executor.retire_idle(function="fixture-emf")  # well within the idle timeout
    assert pids and status()["functions"]["fixture-emf"]["worker_pids"] == pids


def _alive(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    return True


def _exited(pid: int) -> bool:
    """Gone, or a zombie (exited; only the executor's wait is missing)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_a_worker_that_died_while_idle_is_replaced_before_the_next_request(invoke, status):
    invoke("fixture-emf", {"count": 1})
    before = status()["functions"]["fixture-emf"]
    for pid in before["worker_pids"]:  # as if killed by the OOM killer while warm
        os.kill(pid, signal.SIGKILL)
    for pid in before["worker_pids"]:
        wait_for(lambda: _exited(pid), 10, what=f"worker {pid} to exit")
    response, body = invoke("fixture-emf", {"count": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body == {"ok": True}
    after = status()["functions"]["fixture-emf"]
    assert after["cold_starts"] == before["cold_starts"] + 1
    assert after["errors"] == before["errors"]
    assert after["worker_pids"] and not set(after["worker_pids"]) & set(before["worker_pids"])


def test_handler_exception_comes_back_in_lambdas_error_shape(invoke, status):
    response, body = invoke("fixture-fail", {"why": "bad input"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom: bad input"
    assert isinstance(body["stackTrace"], list) and "app.py" in body["stackTrace"][-1]
    # the worker survives a handler error, as a Lambda environment does
    assert status()["functions"]["fixture-fail"]["cold_starts"] == 1
    invoke("fixture-fail", {})
    assert status()["functions"]["fixture-fail"]["cold_starts"] == 1


def test_timeout_kills_the_worker_and_returns_lambdas_timeout_error(invoke, status):
    invoke("fixture-slow", {"sleep": 0})
    pids = status()["functions"]["fixture-slow"]["worker_pids"]
    response, body = invoke("fixture-slow", {"sleep": 5})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    response, body = invoke("fixture-slow", {"sleep": 0})  # a fresh worker takes over
    assert "FunctionError" not in response and body["slept"] == 0


def test_concurrency_limit_throttles_the_second_concurrent_call(invoke, status):
    invoke("fixture-slow", {"sleep": 0})  # warm, so the first call holds its slot at once
    results = []

    def call():
        try:
            results.append(invoke("fixture-slow", {"sleep": 0.6})[0]["StatusCode"])
        except ClientError as error:
            results.append(error.response["Error"]["Code"])

    before = status()["functions"]["fixture-slow"]["throttles"]
    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)) == ["200", "TooManyRequestsException"]
    assert status()["functions"]["fixture-slow"]["throttles"] == before + 1


def test_dry_run_and_unknown_functions(invoke, aws):
    response, _ = invoke("fixture-echo", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    with pytest.raises(ClientError) as error:
        invoke("no-such-function")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        invoke("fixture-echo", Qualifier="no-such-alias")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    response, _ = invoke("fixture-echo", Qualifier="$LATEST")
    assert response["StatusCode"] == 200


def test_payload_that_is_not_json_is_rejected(aws):
    with pytest.raises(ClientError) as error:
        aws("lambda", max_attempts=1).invoke(FunctionName="fixture-echo", Payload=b"{not json")
    assert error.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_function_output_reaches_its_log_group(invoke, aws):
    marker = f"marker-{time.time_ns()}"
    invoke("fixture-echo", {"marker": marker})
    logs = aws("logs")
    events = wait_for(lambda: logs.filter_log_events(
        logGroupName="/aws/lambda/fixture-echo", filterPattern=marker)["events"])
    assert any("echo called with" in e["message"] for e in events)
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/fixture-echo")["logStreams"]
    assert streams and all("[$LATEST]" in s["logStreamName"] for s in streams)
    # JSON log format at the default system log level (INFO): platform records, no REPORT line.
    reports = wait_for(lambda: logs.filter_log_events(
        logGroupName="/aws/lambda/fixture-echo", filterPattern='{ $.type = "platform.report" }')[
        "events"], what="a platform.report record")
    assert json.loads(reports[0]["message"])["record"]["metrics"]["memorySizeMB"] == 256
    everything = logs.filter_log_events(logGroupName="/aws/lambda/fixture-echo")["events"]
    assert not any(e["message"].startswith("REPORT RequestId: ") for e in everything)


def test_lambda_and_emf_metrics_land_in_cloudwatch(invoke, aws):
    invoke("fixture-emf", {"count": 3})
    invoke("fixture-fail", {})
    cloudwatch = aws("cloudwatch")

    def names(namespace, **dims):
        return {m["MetricName"] for m in cloudwatch.list_metrics(
            Namespace=namespace, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()]
        )["Metrics"]}

    lambda_metrics = wait_for(lambda: {"Invocations", "Duration"} <= names(
        "AWS/Lambda", FunctionName="fixture-emf") and names("AWS/Lambda",
                                                            FunctionName="fixture-emf"))
    assert {"Invocations", "Duration", "ConcurrentExecutions"} <= lambda_metrics
    assert "Errors" in wait_for(lambda: names("AWS/Lambda", FunctionName="fixture-fail"))
    assert "ThingsDone" in wait_for(lambda: names("FixtureApp", service="fixture"))
