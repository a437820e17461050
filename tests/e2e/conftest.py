"""The project's `local` stack on a local cloud, started once per test session.

Scenarios drive it as a black box: HTTP against `ApiUrl`, boto3 and the AWS CLI against the
endpoint, and the local cloud's own command line to fire a schedule.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from localcloud.core.clients import ApiSession
from tests.cloud_session import local_cloud_fixtures

ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = 60.0  # a simulated minute per real second: async retries wait 1 s, then 2 s


local_cloud, endpoint, outputs, aws = local_cloud_fixtures(str(ROOT), time_scale=TIME_SCALE)


@pytest.fixture(scope="session")
def api(outputs) -> ApiSession:
    """HTTP against ApiUrl, as a browser app on another origin would call it."""
    return ApiSession(outputs["ApiUrl"])


@pytest.fixture(scope="session")
def fire_schedule(local_cloud):
    """Fire a scheduled rule now through `python -m localcloud fire`."""
    def fire(rule: str, detail: dict | None = None) -> dict:
        command = [sys.executable, "-m", "localcloud", "fire", rule,
                   "--port", str(local_cloud.port)]
        if detail is not None:
            command += ["--input", json.dumps(detail)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    return fire
