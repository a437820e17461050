"""Clients for a local cloud: boto3 on its endpoint with fake credentials, and HTTP on a REST
API as a browser app on another origin would call it. Used by the local cloud itself, the
tests and the benchmarks."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config
import requests

# Any credentials work: the local cloud does not check signatures.
FAKE_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def local_client(service: str, endpoint_url: str, region: str, *, max_attempts: int = 3,
                 read_timeout: float = 60, max_pool_connections: int = 10) -> Any:
    """A boto3 client for `service` on the local endpoint."""
    return boto3.session.Session().client(
        service, endpoint_url=endpoint_url, region_name=region, **FAKE_CREDENTIALS,
        config=botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            read_timeout=read_timeout, max_pool_connections=max_pool_connections))


class ApiSession(requests.Session):
    """HTTP on ApiUrl with relative paths, sent with an `Origin` like a browser app's."""

    def __init__(self, base_url: str, origin: str = "https://app.example.com") -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.headers["Origin"] = origin

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        return super().request(method, self.base_url + url, *args, **kwargs)
