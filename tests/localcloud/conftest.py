"""One local cloud per test session, running the fixture program (tests/localcloud/fixtures/app).

Tests drive it as a black box: boto3 clients and HTTP against its endpoint, plus the admin
endpoint `/_localcloud/status` for what AWS does not show (cold starts, worker pids).
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.cloud_session import local_cloud_fixtures
from tests.localcloud.paths import FIXTURE_APP

TIME_SCALE = 60.0  # a simulated minute per real second: async retries wait 1 s, then 2 s


local_cloud, endpoint, outputs, aws = local_cloud_fixtures(FIXTURE_APP, time_scale=TIME_SCALE)


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
