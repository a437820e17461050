"""Fault injection: the rules of a fault (core/faults.py), then each kind against the session's
local cloud through its admin API and CLI, as a user injects them."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from localcloud.core.faults import FaultError, Faults, action_of
from localcloud.core.http import GatewayRequest
from tests.localcloud.paths import REPO_ROOT

SIGNED = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
          "SignedHeaders=host, Signature=0")


def request(service: str, *, target: str | None = None, body: bytes = b"") -> GatewayRequest:
    headers = [("Authorization", SIGNED.format(service=service))]
    if target:
        headers.append(("X-Amz-Target", target))
    return GatewayRequest(method="POST", path="/", query="", headers=headers, body=body,
                          source_ip="127.0.0.1")


# -- the rules ---------------------------------------------------------------------------------

def test_the_action_is_read_from_the_signature_and_the_target_or_the_query():
    assert action_of(request("events", target="AWSEvents.PutEvents")) == ("events", "PutEvents")
    assert action_of(request("dynamodb", target="DynamoDB_20120810.TransactWriteItems")) == (
        "dynamodb", "TransactWriteItems")
    assert action_of(request("ses", body=b"Action=SendEmail&Version=2010-12-01")) == (
        "ses", "SendEmail")
    unsigned = GatewayRequest(method="GET", path="/_localcloud/status", query="", headers=[],
                              body=b"", source_ip="127.0.0.1")
    assert action_of(unsigned) is None


def test_the_next_n_calls_fail_then_the_fault_is_spent():
    faults = Faults()
    faults.add({"function": "f", "effect": "error", "count": 2})
    assert [faults.take_function("f") is not None for _ in range(3)] == [True, True, False]
    assert faults.take_function("other") is None


def test_a_fraction_of_calls_fail():
    faults = Faults(rng=random.Random(7))
    faults.add({"action": "events:PutEvents", "fraction": 0.25})
    hits = sum(faults.take_action("events", "PutEvents") is not None for _ in range(400))
    assert 60 < hits < 140  # 100 expected; seeded, so the same every run


def test_an_action_error_answers_in_the_callers_protocol():
    faults = Faults()
    faults.add({"action": "events:PutEvents", "code": "InternalException", "status": 500})
    faults.add({"action": "ses:SendEmail", "effect": "throttle"})
    json_error = faults.intercept(request("events", target="AWSEvents.PutEvents"))
    assert json_error.status == 500
    assert json.loads(json_error.body)["__type"] == "InternalException"
    xml_error = faults.intercept(request("ses", body=b"Action=SendEmail"))
    assert xml_error.status == 400 and b"<Code>ThrottlingException</Code>" in xml_error.body
    assert faults.intercept(request("sqs", target="AmazonSQS.SendMessage")) is None


@pytest.mark.parametrize("spec, key", [
    ({"effect": "error"}, "exactly one of 'function' or 'action'"),
    ({"function": "f", "effect": "slow"}, "effect"),
    ({"action": "PutEvents"}, "action"),
    ({"action": "events:PutEvents", "effect": "slow"}, "delay_seconds"),
    ({"function": "f", "count": 0}, "count"),
    ({"function": "f", "fraction": 1.5}, "fraction"),
    ({"function": "f", "times": 2}, "unknown key 'times'"),
])
def test_a_bad_fault_is_refused_naming_the_key(spec, key):
    with pytest.raises(FaultError, match=key):
        Faults().add(spec)


def test_clear_removes_one_or_all():
    faults = Faults()
    first = faults.add({"function": "a"})
    faults.add({"function": "b"})
    assert faults.clear(first.id) == 1 and [f.function for f in faults.list()] == ["b"]
    assert faults.clear() == 1 and faults.list() == []


# -- against the running local cloud ----------------------------------------------------------

def admin(endpoint: str, path: str, body: dict | None = None, method: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(f"{endpoint}{path}", data=data,
                                  method=method or ("GET" if body is None else "POST"))
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def faults(endpoint):
    def add(**spec):
        status, fault = admin(endpoint, "/_localcloud/faults", spec)
        assert status == 201, fault
        return fault
    yield add
    admin(endpoint, "/_localcloud/faults", method="DELETE")


def test_a_function_fails_for_the_next_call_only(invoke, faults, endpoint):
    fault = faults(function="fixture-echo", effect="error", count=1)
    response, payload = invoke("fixture-echo", {"n": 1})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "InjectedFault" and fault["id"] in payload["errorMessage"]
    response, _ = invoke("fixture-echo", {"n": 2})
    assert "FunctionError" not in response
    [listed] = admin(endpoint, "/_localcloud/faults")[1]["faults"]
    assert (listed["id"], listed["hits"]) == (fault["id"], 1)


def test_a_throttled_function_answers_429(aws, faults):
    faults(function="fixture-echo", effect="throttle", count=1)
    with pytest.raises(ClientError) as error:
        aws("lambda", max_attempts=1).invoke(FunctionName="fixture-echo", Payload=b"{}")
    assert error.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_a_timed_out_function_reports_sandbox_timedout(invoke, faults):
    faults(function="fixture-echo", effect="timeout", delay_seconds=0, count=1)
    response, payload = invoke("fixture-echo", {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"


def test_an_action_fails_through_the_gateway_with_its_aws_error(aws, faults, endpoint):
    faults(action="dynamodb:ListTables", code="InternalServerError", status=500, count=1)
    with pytest.raises(ClientError) as error:
        aws("dynamodb", max_attempts=1).list_tables()
    assert error.value.response["Error"]["Code"] == "InternalServerError"
    assert "TableNames" in aws("dynamodb", max_attempts=1).list_tables()  # spent


def test_a_slow_action_still_succeeds(aws, faults, endpoint):
    fault = faults(action="sqs:ListQueues", effect="slow", delay_seconds=0.2, count=1)
    aws("sqs", max_attempts=1).list_queues()
    [listed] = admin(endpoint, "/_localcloud/faults")[1]["faults"]
    assert (listed["id"], listed["hits"]) == (fault["id"], 1)


def test_a_killed_worker_is_replaced_on_the_next_invoke(invoke, endpoint, status):
    invoke("fixture-echo", {})
    before = status()["functions"]["fixture-echo"]["worker_pids"]
    code, killed = admin(endpoint, "/_localcloud/faults/kill-worker", {"function": "fixture-echo"})
    assert code == 200 and len(killed["killed"]) == 1 and killed["killed"][0] in before
    response, _ = invoke("fixture-echo", {})
    assert "FunctionError" not in response
    assert killed["killed"][0] not in status()["functions"]["fixture-echo"]["worker_pids"]


def test_bad_faults_and_unknown_workers_are_client_errors(endpoint):
    assert admin(endpoint, "/_localcloud/faults", {"function": "f", "effect": "slow"})[0] == 400
    assert admin(endpoint, "/_localcloud/faults/kill-worker", {"function": "nope"})[0] == 404
    assert admin(endpoint, "/_localcloud/faults/nope", method="DELETE")[0] == 404


def test_the_cli_adds_lists_and_clears_faults(endpoint):
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}

    def cli(*args):
        done = subprocess.run([sys.executable, "-m", "localcloud", "fault", *args], cwd=REPO_ROOT,
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    added = cli("add", "--action", "events:PutEvents", "--count", "3")
    assert (added["action"], added["effect"], added["count"]) == ("events:PutEvents", "error", 3)
    assert [f["id"] for f in cli("list")["faults"]] == [added["id"]]
    assert cli("clear")["removed"] == 1
    assert cli("list")["faults"] == []
