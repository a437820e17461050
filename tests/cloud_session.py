"""Session fixtures for a local cloud: one per test session, stopped at the end.

`tests/localcloud` runs its fixture program on it and `tests/e2e` the project's `local` stack;
both drive it as a black box (boto3 and HTTP on its endpoint).
"""

from __future__ import annotations

import pytest

from localcloud.core.clients import local_client
from localcloud.app.cloud import start_local_cloud


def local_cloud_fixtures(project_dir: str, *, time_scale: float):
    """The fixtures `local_cloud`, `endpoint`, `outputs` and `aws` for a conftest to expose."""

    @pytest.fixture(scope="session")
    def local_cloud(tmp_path_factory):
        cloud = start_local_cloud(project_dir, stack="local", port=0, time_scale=time_scale,
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
