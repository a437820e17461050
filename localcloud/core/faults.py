"""Fault injection: make a function or one service action misbehave on purpose.

A fault names what it hits and how:

- a function (`function`, by name): `error` (the handler "raised": Unhandled), `timeout` (the
  caller waits `delay_seconds`, default the function's timeout, and gets Sandbox.Timedout; the
  handler does not run) or `throttle` (429 TooManyRequestsException);
- a service action (`action`, IAM style: `events:PutEvents`, `ses:SendEmail`,
  `dynamodb:TransactWriteItems`), for calls through the gateway: `error` (the AWS error
  `code`/`status`, default 500 InternalFailure), `throttle` (400 ThrottlingException) or `slow`
  (`delay_seconds`, then the call goes on).

It applies to the next `count` matching calls, or to a `fraction` of them (0 < f <= 1), or
both (a fraction of calls until `count` have been hit); with neither, to every call until
cleared. The registry of faults is shared by the gateway (actions) and Lambda (functions); the
admin API `/_localcloud/faults` and `python -m localcloud fault` manage it.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qs

from .http import GatewayRequest, HttpResponse

FUNCTION_EFFECTS = ("error", "timeout", "throttle")
ACTION_EFFECTS = ("error", "throttle", "slow")


class FaultError(ValueError):
    """A fault specification that cannot be applied (reported as 400 by the admin API)."""


@dataclass
class Fault:
    id: str
    effect: str
    function: str | None = None
    action: str | None = None  # "service:Action"
    count: int | None = None  # None: no limit
    fraction: float | None = None  # None: every matching call
    delay_seconds: float | None = None
    code: str | None = None
    status: int | None = None
    message: str = "Injected by the local cloud's fault injection"
    hits: int = 0
    created: float = field(default_factory=time.time)

    @property
    def spent(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def parse_fault(spec: dict) -> Fault:
    """A fault from its JSON specification; raises FaultError naming the bad key."""
    known = {"effect", "function", "action", "count", "fraction", "delay_seconds", "code",
             "status", "message"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise FaultError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    function, action = spec.get("function"), spec.get("action")
    if bool(function) == bool(action):
        raise FaultError("give exactly one of 'function' or 'action'")
    effect = spec.get("effect") or "error"
    effects = FUNCTION_EFFECTS if function else ACTION_EFFECTS
    if effect not in effects:
        raise FaultError(f"effect: {effect!r} is not one of {', '.join(effects)} "
                         f"for {'a function' if function else 'an action'}")
    if action and (action.count(":") != 1 or not all(action.split(":"))):
        raise FaultError(f"action: {action!r} is not 'service:Action' (e.g. events:PutEvents)")
    count, fraction, delay = spec.get("count"), spec.get("fraction"), spec.get("delay_seconds")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise FaultError("count: must be a whole number >= 1")
    if fraction is not None and not (isinstance(fraction, (int, float)) and 0 < fraction <= 1):
        raise FaultError("fraction: must be a number in (0, 1]")
    if delay is not None and not (isinstance(delay, (int, float)) and delay >= 0):
        raise FaultError("delay_seconds: must be a number >= 0")
    if effect == "slow" and delay is None:
        raise FaultError("delay_seconds: required for a slow action")
    return Fault(id=uuid.uuid4().hex[:8], effect=effect, function=function, action=action,
                 count=count, fraction=fraction, delay_seconds=delay, code=spec.get("code"),
                 status=spec.get("status"),
                 message=spec.get("message") or Fault.message)


class Faults:
    """The active faults; thread-safe. `take_*` consume one hit of the first fault that applies."""

    def __init__(self, *, rng: random.Random | None = None):
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def add(self, spec: dict) -> Fault:
        fault = parse_fault(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self, fault_id: str | None = None) -> int:
        """Remove one fault (by id) or all; returns how many were removed."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            return before - len(self._faults)

    def take_function(self, name: str) -> Fault | None:
        return self._take(lambda f: f.function == name)

    def take_action(self, service: str, action: str) -> Fault | None:
        wanted = f"{service}:{action}".lower()
        return self._take(lambda f: (f.action or "").lower() == wanted)

    def _take(self, applies) -> Fault | None:
        if not self._faults:  # the common case: no lock, no work
            return None
        with self._lock:
            for fault in self._faults:
                if fault.spent or not applies(fault):
                    continue
                if fault.fraction is not None and self._rng.random() >= fault.fraction:
                    continue
                fault.hits += 1
                return fault
        return None

    # -- actions through the gateway ----------------------------------------------------------

    def intercept(self, request: GatewayRequest) -> HttpResponse | None:
        """The gateway's hook: an injected AWS error response for the request's action, or None
        (after sleeping, for a slow fault) to let it go on."""
        if not self._faults:
            return None
        named = action_of(request)
        if named is None:
            return None
        fault = self.take_action(*named)
        if fault is None:
            return None
        if fault.effect == "slow":
            time.sleep(fault.delay_seconds or 0)
            return None
        if fault.effect == "throttle":
            code, status = fault.code or "ThrottlingException", fault.status or 400
        else:
            code, status = fault.code or "InternalFailure", fault.status or 500
        return aws_error(request, status, code, f"{fault.message} ({fault.id})")


def credential_scope(request: GatewayRequest) -> list[str] | None:
    """The SigV4 credential of a signed call: [access key, date, region, service,
    "aws4_request"], or None for an unsigned request."""
    authorization = request.header("Authorization", "") or ""
    if "Credential=" not in authorization:
        return None
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope if len(scope) >= 5 else None


def action_of(request: GatewayRequest) -> tuple[str, str] | None:
    """(signing service, action) of an AWS API call: the service from the SigV4 credential
    scope, the action from X-Amz-Target (JSON protocols) or the `Action` form field (query)."""
    scope = credential_scope(request)
    if scope is None:
        return None
    service = scope[3]
    target = request.header("X-Amz-Target", "")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if request.body and b"Action=" in request.body:
        action = (parse_qs(request.body.decode(errors="replace")).get("Action") or [""])[0]
        if action:
            return service, action
    return None


def aws_error(request: GatewayRequest, status: int, code: str, message: str) -> HttpResponse:
    """An error in the request's protocol: JSON for X-Amz-Target calls, XML for query calls."""
    if request.header("X-Amz-Target", ""):
        return HttpResponse(status, [("Content-Type", "application/x-amz-json-1.1"),
                                     ("x-amzn-ErrorType", code)],
                            json.dumps({"__type": code, "message": message}).encode())
    body = (f"<ErrorResponse><Error><Type>{'Sender' if status < 500 else 'Receiver'}</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()
    return HttpResponse(status, [("Content-Type", "text/xml")], body)

