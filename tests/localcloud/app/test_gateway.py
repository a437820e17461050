"""The gateway: forwarding to moto, the interceptions, the admin endpoints, the `up` command."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from localcloud.core.clients import open_proxy_api, sign_in
from localcloud.services.sns.protocol import publications_from_query
from tests.localcloud.paths import FIXTURE_APP, REPO_ROOT
from tests.waiting import wait_for

AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_other_calls_are_forwarded_to_moto_with_the_gateway_as_host(aws, endpoint):
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="gateway-forwarding")["QueueUrl"]
    assert url == f"{endpoint}/123456789012/gateway-forwarding"
    sqs.send_message(QueueUrl=url, MessageBody="through the gateway")
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert message["Body"] == "through the gateway"


def test_aws_cli_works_through_the_gateway(endpoint):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    listed = subprocess.run([AWS_CLI, "--endpoint-url", endpoint, "lambda", "list-functions",
                             "--output", "json"], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    names = {f["FunctionName"] for f in json.loads(listed.stdout)["Functions"]}
    assert {"fixture-echo", "fixture-fail", "fixture-slow"} <= names


def test_admin_health_and_status(endpoint, local_cloud):
    assert _get(f"{endpoint}/_localcloud/health") == (
        200, {"status": "ready", "stack": "local", "endpoint": endpoint})
    code, status = _get(f"{endpoint}/_localcloud/status")
    assert code == 200 and status["pids"]["moto"] == local_cloud.moto.pid
    assert _get(f"{endpoint}/_localcloud/nothing-here")[0] == 404


def test_rest_api_requests_reach_the_function(outputs):
    with urllib.request.urlopen(f"{outputs['apiUrl']}/items?x=1", timeout=30) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body["event"]["httpMethod"] == "GET"
    assert body["event"]["path"] == "/items"


def _raw(url: str, method: str) -> tuple[int, str, bytes]:
    """One request with any verb: (status, Content-Type, body)."""
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        connection.request(method, split.path or "/")
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
def test_unknown_methods_answer_like_api_gateway_never_an_html_page(outputs, endpoint, method):
    status, content_type, body = _raw(f"{outputs['apiUrl']}/items", method)
    assert (status, content_type) == (403, "application/json")
    assert json.loads(body) == {"message": "Missing Authentication Token"}

    status, content_type, body = _raw(f"{endpoint}/", method)
    assert (status, content_type) == (405, "application/json")
    assert json.loads(body)["message"] == f"Method {method} is not supported"


def test_percent_encoded_path_ids_reach_the_function_decoded(aws, endpoint, outputs):
    # An API added at run time, like a user would with the AWS CLI: /things/{thingId} -> echo.
    api_id = open_proxy_api(aws("apigateway"), aws("lambda"), "encoded-ids", "/things/{thingId}",
                            outputs["echoInvokeArn"], stage="s")
    url = f"{endpoint}/restapis/{api_id}/s/_user_request_/things/a%20b%2Fc%C3%A9"
    with urllib.request.urlopen(url, timeout=30) as response:
        event = json.loads(response.read())["event"]
    assert event["pathParameters"] == {"thingId": "a b/cé"}  # decoded, as AWS hands them
    assert event["path"] == "/things/a%20b%2Fc%C3%A9"  # the path keeps its encoding
    assert event["resource"] == "/things/{thingId}"


def test_put_events_is_answered_by_the_router(aws):
    result = aws("events").put_events(Entries=[{
        "Source": "fixture", "DetailType": "Test", "Detail": json.dumps({"amount": 5}),
        "EventBusName": "fixture-bus"}])
    assert result["FailedEntryCount"] == 0
    assert len(result["Entries"]) == 1 and result["Entries"][0]["EventId"]


def test_put_events_request_errors_are_400s_like_aws(endpoint):
    request = urllib.request.Request(
        endpoint, method="POST", data=json.dumps({"Entries": []}).encode(),
        headers={"X-Amz-Target": "AWSEvents.PutEvents",
                 "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 400
    assert json.loads(error.value.read())["__type"]


def test_sns_publish_is_stored_by_moto_and_fanned_out_to_lambda(aws, outputs, status):
    before = status()["functions"].get("fixture-echo", {}).get("invocations", 0)
    aws("sns").publish(TopicArn=outputs["topicArn"], Message="to every subscriber")
    sqs = aws("sqs")  # the queue subscription is moto's own delivery
    deadline = time.monotonic() + 10
    bodies = []
    while time.monotonic() < deadline and not any("to every subscriber" in b for b in bodies):
        bodies += [m["Body"] for m in sqs.receive_message(
            QueueUrl=outputs["topicCopyUrl"], WaitTimeSeconds=1).get("Messages", [])]
    assert any("to every subscriber" in b for b in bodies)
    while time.monotonic() < deadline and \
            status()["functions"]["fixture-echo"]["invocations"] <= before:
        time.sleep(0.2)
    assert status()["functions"]["fixture-echo"]["invocations"] > before


def test_query_protocol_publish_batch_is_read_entry_by_entry():
    form = {"Action": "PublishBatch", "TopicArn": "arn:aws:sns:us-east-1:1:t",
            "PublishBatchRequestEntries.member.1.Id": "a",
            "PublishBatchRequestEntries.member.1.Message": "first",
            "PublishBatchRequestEntries.member.2.Id": "b",
            "PublishBatchRequestEntries.member.2.Message": "second",
            "PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name": "kind",
            "PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.DataType":
                "String",
            "PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.StringValue":
                "x"}
    response = ("<PublishBatchResponse><PublishBatchResult><Successful>"
                "<member><Id>b</Id><MessageId>m-2</MessageId></member>"
                "</Successful><Failed><member><Id>a</Id><Code>X</Code></member></Failed>"
                "</PublishBatchResult></PublishBatchResponse>")
    assert list(publications_from_query(form, response)) == [
        ("arn:aws:sns:us-east-1:1:t", "second", None,
         {"kind": {"DataType": "String", "StringValue": "x"}}, "m-2", None)]


def test_fire_routes_to_the_scheduler(endpoint, status):
    before = status()["functions"].get("fixture-echo", {}).get("invocations", 0)
    request = urllib.request.Request(f"{endpoint}/_localcloud/schedules/nightly/fire",
                                     data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and \
            status()["functions"]["fixture-echo"]["invocations"] <= before:
        time.sleep(0.2)
    assert status()["functions"]["fixture-echo"]["invocations"] > before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes: only its parent's wait is missing
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"


@contextlib.contextmanager
def _running_up(state_dir, **popen: object) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python -m localcloud up` on the fixture program, once it is ready: (process, endpoint);
    killed on the way out if a test left it running."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "up", "--project-dir", FIXTURE_APP,
         "--port", str(port), "--state-dir", str(state_dir), "--quiet", "--time-scale", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=REPO_ROOT, **popen)
    endpoint = f"http://localhost:{port}"
    try:
        wait_for(lambda: _ready(process, endpoint), 60, what="the local cloud to be ready")
        yield process, endpoint
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _ready(process: subprocess.Popen, endpoint: str) -> bool:
    if process.poll() is not None:
        raise AssertionError(process.stdout.read())
    try:
        return _get(f"{endpoint}/_localcloud/health")[1]["status"] == "ready"
    except OSError:
        return False


def _stop_with(process: subprocess.Popen, signum: int) -> str:
    """Send `signum`, wait for the exit and return everything the process printed."""
    process.send_signal(signum)
    output, _ = process.communicate(timeout=30)
    return output


def _invoke_url(endpoint: str, function: str) -> str:
    return f"{endpoint}/2015-03-31/functions/{function}/invocations"


def test_up_serves_until_sigterm_and_leaves_no_process_behind(tmp_path):
    with _running_up(tmp_path) as (process, endpoint):
        request = urllib.request.Request(_invoke_url(endpoint, "fixture-echo"), data=b"{}",
                                         method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        pids = _get(f"{endpoint}/_localcloud/status")[1]["pids"]
        assert pids["moto"] and pids["workers"]
        output = _stop_with(process, signal.SIGTERM)
    assert process.returncode == 0, output
    assert "Resources:" in output and "apiUrl" in output and "Ready in" in output
    time.sleep(0.5)
    leftovers = [pid for pid in [pids["moto"], *pids["workers"]] if _alive(pid)]
    assert leftovers == []


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_up_in_the_background_stops_on_sigint(tmp_path):
    # A shell's background job (`make up &`) starts with SIGINT ignored: Python then never
    # raises KeyboardInterrupt, so only an explicit handler makes `kill -INT` work.
    with _running_up(tmp_path, preexec_fn=_ignore_sigint) as (process, endpoint):
        moto = _get(f"{endpoint}/_localcloud/status")[1]["pids"]["moto"]
        output = _stop_with(process, signal.SIGINT)
    assert process.returncode == 0, output
    assert "Stopping the local cloud..." in output and "Traceback" not in output
    wait_for(lambda: not _alive(moto), 10, what="moto to exit")


def test_shutdown_under_load_lets_running_invocations_finish(tmp_path):
    results: list[tuple[int, dict]] = []

    def client(index: int) -> None:
        request = urllib.request.Request(_invoke_url(endpoint, "fixture-echo"), method="POST",
                                         data=json.dumps({"sleep": 1.0, "client": index}).encode())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append((response.status, json.loads(response.read())))
        except urllib.error.HTTPError as error:
            results.append((error.code, {"error": error.read().decode()}))
        except OSError as error:
            results.append((0, {"error": str(error)}))

    with _running_up(tmp_path) as (process, endpoint):
        clients = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for thread in clients:
            thread.start()
        wait_for(lambda: _get(f"{endpoint}/_localcloud/status")[1]["functions"]
                 .get("fixture-echo", {}).get("in_flight") == 4, 30,
                 what="four invocations in flight")
        stopping = time.monotonic()
        output = _stop_with(process, signal.SIGTERM)
        print(f"stopped {time.monotonic() - stopping:.2f} s after SIGTERM")  # reported, not asserted
        for thread in clients:
            thread.join(30)
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert sorted((status, body.get("event", {}).get("client")) for status, body in results) == [
        (200, 0), (200, 1), (200, 2), (200, 3)], results


def test_a_cognito_route_needs_a_token_the_local_pool_signed(aws, outputs):
    """Through the gateway as a client sees it: the pool's keys come from the local Cognito."""
    private = f"{outputs['apiUrl']}/private"
    status, _, body = _raw(private, "GET")
    assert status == 401 and json.loads(body) == {"message": "Unauthorized"}

    tokens = sign_in(aws("cognito-idp"), outputs["userPoolId"], outputs["userPoolClientId"],
                     "gw@example.com", "Gateway-pass-1")
    request = urllib.request.Request(private, headers={"Authorization": tokens["IdToken"]})
    with urllib.request.urlopen(request, timeout=30) as response:
        event = json.loads(response.read())["event"]
    assert event["requestContext"]["authorizer"]["claims"]["email"] == "gw@example.com"
