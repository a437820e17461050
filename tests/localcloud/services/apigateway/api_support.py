"""What the REST API server tests share: a moto server, the `Cloud` seam with a scripted Lambda,
and canned Lambda proxy results."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from localcloud.core.ports import InvokeResult
from localcloud.core.registry import Registry

REGION = "eu-west-1"
ACCOUNT = "123456789012"


def ok(body: Any = None, status: int = 200, **extra: Any) -> InvokeResult:
    response = {"statusCode": status, "body": json.dumps(body or {"ok": True}), **extra}
    return InvokeResult(200, json.dumps(response).encode())


@dataclass
class FakeCloud:
    """The `Cloud` seam with moto for AWS APIs and a scripted Lambda."""

    endpoint_url: str
    region: str = REGION
    account_id: str = ACCOUNT
    time_scale: float = 1.0
    registry: Registry = field(default_factory=Registry)
    respond: Callable[[dict[str, Any]], InvokeResult] = lambda event: ok()
    calls: list[dict[str, Any]] = field(default_factory=list)
    telemetry: Any = None  # the core's metric sink, when a test wants to see metrics
    _clients: dict[str, Any] = field(default_factory=dict)

    def aws(self, service: str, *, via_gateway: bool = False) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, endpoint_url=self.endpoint_url, region_name=self.region,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    def authorize_delivery(self, service: str, source_arn: str, action: str,
                           resource: str) -> str | None:
        return None  # resource policies are the local cloud's tests' concern

    def invoke(self, function: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None) -> InvokeResult:
        event = json.loads(payload)
        self.calls.append({"function": function, "qualifier": qualifier, "event": event})
        return self.respond(event)

    @property
    def last_event(self) -> dict[str, Any]:
        return self.calls[-1]["event"]


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free port; yields its endpoint."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _uri(function_arn: str) -> str:
    return (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations")
