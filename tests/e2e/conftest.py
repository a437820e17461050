"""The project's `local` stack on a local cloud, started once per test session.

Scenarios drive it as a black box: HTTP against `ApiUrl`, boto3 and the AWS CLI against the
endpoint, and the local cloud's own command line to fire a schedule.

Every API request is made through `ApiSession` with the caller's ID token: `caller()` signs a
new user in to the stack's user pool with `InitiateAuth` (USER_PASSWORD_AUTH, which the local
stack's app client allows; on AWS the app uses SRP) and, by default, registers their profile;
`api` is one such caller for the whole session.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from localcloud.core.clients import ApiSession, sign_in
from tests.cloud_session import local_cloud_fixtures

ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = 60.0  # a simulated minute per real second: async retries wait 1 s, then 2 s


local_cloud, endpoint, outputs, aws = local_cloud_fixtures(str(ROOT), time_scale=TIME_SCALE)


PASSWORD = "E2e-password-1"


class Caller(ApiSession):
    """A signed-in user's HTTP session on ApiUrl; `user` is their registered profile (or
    None), `sub` their id in the pool, `email` their sign-in address."""

    def __init__(self, base_url: str, token: str, email: str) -> None:
        super().__init__(base_url, token=token)
        claims = json.loads(_b64(token.split(".")[1]))
        self.sub, self.email = claims["sub"], email
        self.user: dict | None = None


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="session")
def caller(outputs, aws):
    """caller(email=None, *, admin=False, name="E2E", register=True) -> a signed-in Caller;
    a fresh address when none is given."""
    def make(email: str | None = None, *, admin: bool = False, name: str = "E2E",
             register: bool = True) -> Caller:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        tokens = sign_in(aws("cognito-idp"), outputs["UserPoolId"], outputs["UserPoolClientId"],
                         email, PASSWORD, groups=("admin",) if admin else ())
        session = Caller(outputs["ApiUrl"], tokens["IdToken"], email)
        if register:
            response = session.post("/users", json={"name": name})
            assert response.status_code == 201, response.text
            session.user = response.json()
        return session
    return make


@pytest.fixture(scope="session")
def api(caller) -> Caller:
    """HTTP against ApiUrl as one registered user, as a browser app on another origin would."""
    return caller(name="E2E default")


@pytest.fixture(scope="session")
def anonymous(outputs) -> ApiSession:
    """HTTP against ApiUrl without a token."""
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


@pytest.fixture(scope="session", autouse=True)
def grants_are_enough(local_cloud):
    """IAM is enforced for the whole suite, and no scenario's call was denied: a deny a handler
    caught (and retried, or turned into a 5xx a test tolerates) would otherwise go unnoticed."""
    yield
    iam = local_cloud.iam.stats()
    assert iam["mode"] == "enforce"
    assert iam["calls_evaluated"] > 0
    assert iam["denies"] == [], json.dumps(iam["denies"], indent=2)
