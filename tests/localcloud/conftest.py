"""One local cloud per test session, running the fixture program (tests/localcloud/fixtures/app).

Tests drive it as a black box: boto3 clients and HTTP against its endpoint, plus the admin
endpoint `/_localcloud/status` for what AWS does not show (cold starts, worker pids).
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from localcloud.clients import local_client
from localcloud.cloud import start_local_cloud

FIXTURE_APP = os.path.join(os.path.dirname(__file__), "fixtures", "app")
TIME_SCALE = 60.0  # a simulated minute per real second: async retries wait 1 s, then 2 s


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory):
    cloud = start_local_cloud(FIXTURE_APP, stack="local", port=0, time_scale=TIME_SCALE,
                              state_dir=str(tmp_path_factory.mktemp("localcloud-state")),
                              console=None)
    yield cloud
    cloud.stop()


@pytest.fixture(scope="session")
def endpoint(local_cloud) -> str:
    return local_cloud.endpoint_url


@pytest.fixture(scope="session")
def outputs(local_cloud) -> dict:
    return local_cloud.deployment.outputs


@pytest.fixture(scope="session")
def aws(endpoint, local_cloud):
    """aws("sqs") -> a boto3 client for the local endpoint (cached per service and retries)."""
    clients = {}

    def client(service: str, *, max_attempts: int = 3):
        key = (service, max_attempts)
        if key not in clients:
            clients[key] = local_client(service, endpoint, local_cloud.region,
                                        max_attempts=max_attempts, read_timeout=30)
        return clients[key]

    return client


@pytest.fixture
def status(endpoint):
    """Reads the admin status endpoint."""
    def read() -> dict:
        with urllib.request.urlopen(f"{endpoint}/_localcloud/status", timeout=10) as response:
            return json.loads(response.read())
    return read


@pytest.fixture(scope="session")
def invoke(aws):
    """invoke(function, payload, **kwargs) through the gateway, without SDK retries:
    returns (the raw response, the decoded payload)."""
    def call(function: str, payload: dict | None = None, **kwargs):
        response = aws("lambda", max_attempts=1).invoke(
            FunctionName=function, Payload=json.dumps(payload or {}).encode(), **kwargs)
        body = response["Payload"].read()
        return response, json.loads(body) if body else None
    return call
