"""A moto server as the local cloud runs it (with its fixes), one per test module."""

from __future__ import annotations

import boto3
import pytest

from localcloud.emulator.moto_server import MotoServer, free_port


@pytest.fixture(scope="module")
def moto_client():
    """moto_client("logs") -> a boto3 client on a fresh moto server process."""
    server = MotoServer(gateway_port=free_port())
    server.start()
    try:
        server.wait_ready()
        yield lambda service: boto3.client(service, endpoint_url=server.url, region_name="eu-west-1",
                                           aws_access_key_id="test", aws_secret_access_key="test")
    finally:
        server.stop()
