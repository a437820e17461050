"""The ports between the parts of the local cloud: what a service may ask of the others.

The composition root (`localcloud.app`) implements `Cloud`; every service takes one and reaches
another service only through it (invoking a function, a boto3 client for moto or for the
gateway). Everything a service needs from AWS state it reads from moto with ordinary boto3
clients. `Part` is the start/stop protocol the root drives, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .clock import Clock
from .registry import Registry


@dataclass(frozen=True)
class InvokeResult:
    """What a Lambda invocation returned, in the shape of the Lambda Invoke API."""

    status_code: int  # 200 sync, 202 async accepted, 204 dry run, 429 throttled, 404 unknown
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" when the handler raised or timed out
    executed_version: str = "$LATEST"

    @property
    def ok(self) -> bool:
        return self.status_code < 300 and self.function_error is None


class Cloud(Protocol):
    """What the composition root gives every service."""

    region: str
    account_id: str
    endpoint_url: str  # the gateway, e.g. http://localhost:4566
    time_scale: float  # 60 means one simulated minute passes per real second
    clock: Clock
    registry: Registry

    def aws(self, service: str, *, via_gateway: bool = False) -> Any:
        """A boto3 client for moto (or for the gateway, so local interceptions apply)."""

    def invoke(self, function: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None) -> InvokeResult:
        """Invoke a function like the Lambda Invoke API (RequestResponse, Event, DryRun).

        "Event" queues the payload for asynchronous invocation with the function's retries,
        maximum event age and destinations, and returns 202 at once.
        """

    def authorize_delivery(self, service: str, source_arn: str, action: str,
                           resource: str) -> str | None:
        """Whether AWS service `service` (e.g. "events.amazonaws.com") delivering for
        `source_arn` may perform `action` on `resource` under that resource's policy: None
        when allowed (or not enforced), else AWS's message of the deny."""

    def authorize_role(self, role_arn: str, session_name: str, action: str,
                       resource: str) -> str | None:
        """Whether a service acting as the role `role_arn` (a session named `session_name`)
        may perform `action` on `resource`: None when allowed (or not enforced), else AWS's
        message of the deny."""


class Part(Protocol):
    """A running piece of the local cloud: started after the deployment, stopped in reverse."""

    def start(self) -> None: ...

    def stop(self) -> None: ...
