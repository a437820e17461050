"""How many AWS API calls reach the gateway, by caller and action: what an order costs in calls.

A gateway hook that never answers: it counts each signed request under the function whose
worker signed it (its role session, known to the IAM enforcer; none with `--iam off`) and the
call's action (`dynamodb:UpdateItem`; REST APIs such as Lambda Invoke by method and path).
`python -m bench calls` reads the counts from `/_localcloud/status` before and after a batch of
orders and prints the calls per order.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Callable

from localcloud.core.faults import action_of, credential_scope
from localcloud.core.http import GatewayRequest, HttpResponse

OTHER_CALLER = "(not a function)"  # the tests, the CLI, the local cloud itself, moto's tasks
# REST APIs name their action by route, not in a header: the ones the platform calls.
_REST_ACTIONS = ((re.compile(r"^/2015-03-31/functions/[^/]+/invocations$"), "lambda:Invoke"),)


class CallCounts:
    def __init__(self, caller: Callable[[GatewayRequest], str | None]):
        self._caller = caller  # request -> the function that signed it, or None
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def intercept(self, request: GatewayRequest) -> HttpResponse | None:
        scope = credential_scope(request)
        if scope is None:
            return None  # not an AWS API call (REST API traffic, the admin endpoints)
        named = action_of(request)
        action = f"{named[0]}:{named[1]}" if named else _rest_action(scope[3], request)
        key = (self._caller(request) or OTHER_CALLER, action)
        with self._lock:
            self._counts[key] += 1
        return None

    def stats(self) -> dict[str, dict[str, int]]:
        """caller -> action -> calls so far."""
        with self._lock:
            counts = list(self._counts.items())
        by_caller: dict[str, dict[str, int]] = {}
        for (caller, action), count in sorted(counts):
            by_caller.setdefault(caller, {})[action] = count
        return by_caller


def _rest_action(service: str, request: GatewayRequest) -> str:
    for route, action in _REST_ACTIONS:
        if route.match(request.path):
            return action
    return f"{service}:{request.method} {request.path}"
