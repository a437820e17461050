"""Shared test support for the trigger parts of the local cloud (router, pollers, fan-out,
scheduler, alarms): a real moto server, and a test `Cloud` whose `aws()` returns boto3 clients
to it and whose `invoke` records each payload and answers with a configurable `InvokeResult`.
The Lambda side is a double here; the end-to-end suite runs real functions."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import pytest
from moto.server import ThreadedMotoServer

from localcloud.core.clock import Clock
from localcloud.core.ports import InvokeResult
from localcloud.core.registry import Registry
from localcloud.emulator import moto_fixes
from tests.waiting import wait_for

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

# boto3 clients are costly to create (0.1-0.3 s) and thread-safe to use: share them per server.
_CLIENTS: dict[tuple[str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def client(moto_url: str, service: str) -> Any:
    with _CLIENTS_LOCK:
        if (moto_url, service) not in _CLIENTS:
            _CLIENTS[(moto_url, service)] = boto3.session.Session().client(
                service, region_name=REGION, endpoint_url=moto_url,
                aws_access_key_id="test", aws_secret_access_key="test")
        return _CLIENTS[(moto_url, service)]


@pytest.fixture(scope="module")
def moto_url():
    """A moto server on a free port, reset to empty for the module, with the fixes the local
    cloud applies to its own (they patch moto's classes, so this process's moto has them)."""
    moto_fixes.apply_all()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    url = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    yield url
    server.stop()


@dataclass
class Invocation:
    function: str
    payload: dict
    invocation_type: str
    at: float  # time.monotonic() when invoked


class TestCloud:
    """The `Cloud` seam for one unit under test."""

    __test__ = False  # not a test class

    def __init__(self, moto_url: str, *, time_scale: float = 1.0):
        self.region = REGION
        self.account_id = ACCOUNT_ID
        self.endpoint_url = moto_url
        self.time_scale = time_scale
        self.clock = Clock(time_scale)
        self.registry = Registry()
        self.invocations: list[Invocation] = []
        # (function, payload, invocation_type) -> InvokeResult; None means a plain success.
        self.responder: Callable[[str, dict, str], InvokeResult | None] = lambda *_: None
        self.role_denies: set[str] = set()  # actions `authorize_role` denies
        self._lock = threading.Lock()

    def aws(self, service: str, *, via_gateway: bool = False) -> Any:
        return client(self.endpoint_url, service)  # no gateway here: moto directly

    def authorize_delivery(self, service: str, source_arn: str, action: str,
                           resource: str) -> str | None:
        return None  # resource policies are the local cloud's tests' concern

    def authorize_role(self, role_arn: str, session_name: str, action: str,
                       resource: str) -> str | None:
        """Denies the actions in `role_denies` (the enforcer's own tests evaluate policies)."""
        return (f"User: {session_name} is not authorized to perform: {action} on resource: "
                f"{resource}") if action in self.role_denies else None

    def invoke(self, function: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None) -> InvokeResult:
        body = json.loads(payload)
        with self._lock:
            self.invocations.append(Invocation(function, body, invocation_type, time.monotonic()))
        result = self.responder(function, body, invocation_type)
        if result is not None:
            return result
        return InvokeResult(202) if invocation_type == "Event" else InvokeResult(200, b"null")

    def calls(self, function: str) -> list[Invocation]:
        with self._lock:
            return [call for call in self.invocations if call.function == function]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """`wait_for` with the short timeout and fine interval these in-process tests want."""
    return wait_for(predicate, timeout, interval=interval)


def make_queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    """Create a queue; returns (url, arn)."""
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def drain(sqs: Any, url: str, count: int, timeout: float = 5.0) -> list[dict]:
    """Receive (and delete) until `count` messages have arrived, or fail after `timeout`."""
    messages: list[dict] = []

    def more() -> bool:
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        for message in received:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(received)
        return len(messages) >= count

    wait_until(more, timeout, interval=0.05)
    return messages


def queue_depth(sqs: Any, url: str) -> int:
    """Visible plus in-flight messages."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return (int(attributes["ApproximateNumberOfMessages"])
            + int(attributes["ApproximateNumberOfMessagesNotVisible"]))
