"""The ops tools against a moto server over HTTP, found through `AWS_ENDPOINT_URL` as on the
local cloud (moto's own answers, e.g. for actions it does not implement, included)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """aws(service) -> a boto3 client on a freshly reset moto server; the code under test
    finds the server the same way, through the environment."""
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_DEFAULT_REGION": REGION,
                        "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    return boto3.client
