"""Session fixtures for a local cloud: one per test session, stopped at the end.

`tests/localcloud` runs its fixture program on it and `tests/e2e` the project's `local` stack;
both drive it as a black box (boto3 and HTTP on its endpoint). A cloud on the manual clock is
advanced with `advance_clock` (the `advance` fixture of a conftest that wants one).
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from localcloud.core.clients import local_client
from localcloud.app.cloud import start_local_cloud


def admin_call(endpoint: str, path: str, body: dict | None = None) -> dict:
    """GET (or POST `body` to) /_localcloud/`path`; the JSON answer."""
    request = urllib.request.Request(
        f"{endpoint}/_localcloud/{path}", method="GET" if body is None else "POST",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:  # an advance may be long
        return json.loads(response.read())


def advance_clock(endpoint: str, duration: float | str) -> dict:
    """Advance a manual-clock cloud by `duration` (seconds, or "15m", "2h"...) through its
    admin API; returns, once it has settled, what fired by kind and the new time."""
    body = {"duration": duration} if isinstance(duration, str) else {"seconds": duration}
    return admin_call(endpoint, "clock/advance", body)


def module_cloud_fixture(project_dir: str, state_name: str, **options):
    """A module-scoped fixture: a local cloud of its own for one test module (`options` for
    start_local_cloud), without hot reload, stopped after the module."""

    @pytest.fixture(scope="module")
    def cloud(tmp_path_factory):
        started = start_local_cloud(project_dir, stack="local", port=0, console=None,
                                    reload=False, **options,
                                    state_dir=str(tmp_path_factory.mktemp(state_name)))
        yield started
        started.stop()

    return cloud


@pytest.fixture
def advance(endpoint):
    """advance(duration) on the `endpoint` fixture's cloud (see advance_clock)."""
    return lambda duration: advance_clock(endpoint, duration)


def local_cloud_fixtures(project_dir: str, *, time_scale: float = 1.0, clock: str = "scaled"):
    """The fixtures `local_cloud`, `endpoint`, `outputs` and `aws` for a conftest to expose."""

    @pytest.fixture(scope="session")
    def local_cloud(tmp_path_factory):
        cloud = start_local_cloud(project_dir, stack="local", port=0, time_scale=time_scale,
                                  clock=clock,
                                  state_dir=str(tmp_path_factory.mktemp("localcloud-state")),
                                  fresh=True, console=None)
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
        """aws("sqs") -> a boto3 client on the endpoint (cached per service and retries)."""
        clients = {}

        def client(service: str, *, max_attempts: int = 3):
            key = (service, max_attempts)
            if key not in clients:
                clients[key] = local_client(service, endpoint, local_cloud.region,
                                            max_attempts=max_attempts)
            return clients[key]

        return client

    return local_cloud, endpoint, outputs, aws
