"""HTTP at the gateway: the request as received, the response, and the route table.

Each service declares the requests it answers itself (`Route`), the ones it prepares before
they go to moto (`BeforeForward`: SNS Publish names the subscriptions a queue policy denies)
and the ones it watches after moto answered them (`AfterForward`, e.g. SNS Publish for the
SNS → Lambda fan-out), as moto's
`urls.py` files declare each service's dispatch; the gateway composes the tables and forwards
every request no route claims to moto, knowing no service by name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class GatewayRequest:
    """One request as the gateway received it (path without the query string)."""

    method: str
    path: str
    query: str = ""  # the raw query string, without "?"
    headers: list[tuple[str, str]] = field(default_factory=list)  # in order, repeats kept
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header, matched case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), default)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


# Added by the gateway to an SNS Publish it forwards: the subscriptions (comma-separated ARNs)
# moto must not deliver to, because their queue's policy denies the topic (emulator/moto_fixes/sns.py).
SKIP_SUBSCRIPTIONS_HEADER = "X-Localcloud-Skip-Subscriptions"

# The verbs API Gateway's `ANY` covers and AWS's endpoints (and moto) answer; any other verb
# is never forwarded.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), *headers],
                        json.dumps(payload).encode())


@dataclass(frozen=True)
class Route:
    """A request a service answers itself instead of moto.

    It matches when every given condition holds: `path` (a regex, its named groups handed to
    `handle`), `methods`, and the `X-Amz-Target` header of JSON-protocol APIs."""

    name: str
    handle: Callable[[GatewayRequest, dict[str, str]], HttpResponse]
    path: str | None = None
    methods: tuple[str, ...] = ()
    target: str | None = None

    def match(self, request: GatewayRequest) -> dict[str, str] | None:
        if self.methods and request.method not in self.methods:
            return None
        if self.target is not None and request.header("X-Amz-Target", "") != self.target:
            return None
        if self.path is None:
            return {}
        found = re.match(self.path, request.path)
        return None if found is None else {k: v for k, v in found.groupdict().items()
                                           if v is not None}


@dataclass(frozen=True)
class BeforeForward:
    """Runs before a request goes to moto; it may add headers to `request.headers`, which is
    what is forwarded."""

    name: str
    matches: Callable[[GatewayRequest], bool]
    before: Callable[[GatewayRequest], None]


@dataclass(frozen=True)
class AfterForward:
    """Runs after moto answered a forwarded request with a success (status below 300)."""

    name: str
    matches: Callable[[GatewayRequest], bool]
    after: Callable[[GatewayRequest, HttpResponse], None]


@dataclass
class RouteTable:
    routes: list[Route] = field(default_factory=list)
    after_forward: list[AfterForward] = field(default_factory=list)
    before_forward: list[BeforeForward] = field(default_factory=list)

    def extend(self, *tables: "RouteTable") -> "RouteTable":
        for table in tables:
            self.routes.extend(table.routes)
            self.after_forward.extend(table.after_forward)
            self.before_forward.extend(table.before_forward)
        return self

    def find(self, request: GatewayRequest) -> tuple[Route, dict[str, str]] | None:
        """The first route that claims the request, with its path parameters."""
        for route in self.routes:
            params = route.match(request)
            if params is not None:
                return route, params
        return None

    def watchers(self, request: GatewayRequest) -> list[AfterForward]:
        return [hook for hook in self.after_forward if hook.matches(request)]

    def preparers(self, request: GatewayRequest) -> list[BeforeForward]:
        return [hook for hook in self.before_forward if hook.matches(request)]
