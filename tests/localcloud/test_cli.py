"""The CLI commands (`fire`, `advance`, `status`, `token`, `up --iam`) against the session's local cloud, as a user runs them."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.localcloud.paths import REPO_ROOT


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    return subprocess.run([sys.executable, "-m", "localcloud", *args], cwd=REPO_ROOT,
                          env={**environment, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


def test_status_reads_the_endpoint_from_aws_endpoint_url(endpoint):
    done = _cli("status", "--port", str(_unused_port()), env={"AWS_ENDPOINT_URL": endpoint})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["endpoint"] == endpoint


def test_status_lists_the_iam_mode_and_the_denies_seen(endpoint):
    done = _cli("status", "--endpoint-url", endpoint)
    assert done.returncode == 0, done.stderr
    iam = json.loads(done.stdout)["iam"]
    assert iam["mode"] == "enforce"
    assert isinstance(iam["denies"], list) and isinstance(iam["not_checked"], list)


def test_an_unknown_iam_mode_is_refused_before_anything_starts():
    done = _cli("up", "--iam", "strict")
    assert done.returncode == 2
    assert "argument --iam: invalid choice: 'strict' (choose from 'enforce', 'report', 'off')" \
        in done.stderr


def test_endpoint_url_option_wins_over_the_environment(endpoint):
    elsewhere = f"http://localhost:{_unused_port()}"
    done = _cli("status", "--endpoint-url", endpoint, env={"AWS_ENDPOINT_URL": elsewhere})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "ready"


def test_fire_reads_the_endpoint_from_aws_endpoint_url(endpoint):
    done = _cli("fire", "nightly", "--input", '{"reportDate": "2026-11-29"}',
                env={"AWS_ENDPOINT_URL": endpoint})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("text,message", [
    ("{not json", "localcloud fire: --input is not valid JSON: "),
    ("[1, 2]", "localcloud fire: --input must be a JSON object (got list)"),
])
def test_bad_input_is_a_one_line_error_without_a_traceback(endpoint, text, message):
    done = _cli("fire", "nightly", "--input", text, "--endpoint-url", endpoint)
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(message)


def test_advance_a_scaled_clock_is_refused_with_the_reason(endpoint):
    done = _cli("advance", "2h", "--endpoint-url", endpoint)
    assert done.returncode == 1
    assert done.stderr.startswith("error 409: ") and "--clock manual" in done.stderr


def test_advance_a_bad_duration_is_a_one_line_error(endpoint):
    done = _cli("advance", "2 weeks", "--endpoint-url", endpoint)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("localcloud advance: not a duration: '2 weeks'")


def test_status_and_the_summary_name_the_clock(endpoint, local_cloud):
    done = _cli("status", "--endpoint-url", endpoint)
    clock = json.loads(done.stdout)["clock"]
    assert clock["mode"] == "scaled" and clock["time_scale"] == 60
    assert "Clock: scaled x60" in local_cloud.summary()


@pytest.mark.parametrize("command", [["status"], ["fire", "nightly"], ["advance", "1m"]])
def test_an_unreachable_endpoint_is_a_one_line_error(command):
    nowhere = f"http://localhost:{_unused_port()}"
    done = _cli(*command, env={"AWS_ENDPOINT_URL": nowhere})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"no local cloud answers at {nowhere}: ")


def test_token_prints_an_id_token_the_api_accepts(endpoint, outputs):
    done = _cli("token", "--user", "cli@example.com", "--admin", "--endpoint-url", endpoint,
                "--pool-id", outputs["userPoolId"], "--client-id", outputs["userPoolClientId"])
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert (claims["email"], claims["token_use"], claims["cognito:groups"]) == (
        "cli@example.com", "id", ["admin"])
    request = urllib.request.Request(f"{outputs['apiUrl']}/private",
                                     headers={"Authorization": token})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_token_without_a_user_pool_output_is_a_one_line_error(endpoint):
    done = _cli("token", "--user", "x@example.com", "--endpoint-url", endpoint)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "localcloud token: the stack exports no UserPoolId / UserPoolClientId "
        "(give --pool-id and --client-id)"]


def _without_aws_settings() -> dict[str, str]:
    return {key: value for key, value in os.environ.items()
            if not key.startswith("AWS_")}


def _aws(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localcloud", "aws", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_aws_runs_the_cli_against_the_cloud_of_aws_endpoint_url(endpoint):
    # CLI v1 alone ignores AWS_ENDPOINT_URL for SQS; no credentials nor region are set either:
    # the wrapper passes --endpoint-url, test credentials and the running cloud's region.
    done = _aws("sqs", "list-queues", env={**_without_aws_settings(), "AWS_ENDPOINT_URL": endpoint})
    assert done.returncode == 0, done.stderr
    urls = json.loads(done.stdout)["QueueUrls"]
    assert any(url.endswith("/work-dlq") for url in urls), urls


def test_aws_keeps_the_endpoint_url_given_in_its_arguments(endpoint):
    nowhere = f"http://localhost:{_unused_port()}"
    done = _aws("sqs", "list-queues", "--endpoint-url", endpoint,
                env={**_without_aws_settings(), "AWS_ENDPOINT_URL": nowhere,
                     "AWS_DEFAULT_REGION": "us-east-1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["QueueUrls"]


def test_aws_takes_the_port_first_and_the_cli_options_anywhere(endpoint):
    port = endpoint.rsplit(":", 1)[1]
    done = _aws("--port", port, "--region", "us-east-1", "sqs", "list-queues",
                "--output", "json", env=_without_aws_settings())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["QueueUrls"]


def test_aws_passes_the_cli_exit_code_and_error_through(endpoint):
    done = _aws("sqs", "get-queue-url", "--queue-name", "missing", f"--endpoint-url={endpoint}",
                env=_without_aws_settings())
    assert done.returncode == 255  # AWS CLI v1's code for a service error
    assert "NonExistentQueue" in done.stderr
