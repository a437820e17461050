"""How many invocations may run at once: Lambda's concurrency rules, and this machine's limit.

`ConcurrencyLimits` follows AWS: an account runs at most `account_limit` executions at once
(1,000 by default); a function with reserved concurrency is capped at it, and what is reserved
is carved out of the account limit, leaving the rest to every other function. Past those limits
the invocation is throttled, as AWS throttles it.

`WorkerSlots` is the local cloud's own limit, one AWS does not have: how many invocations this
machine runs at once. Past it an invocation waits (at most `wait` seconds) for a running one to
finish instead of being throttled, since AWS would have run it; a wait that runs out is an
error of the local cloud (500 ServiceException naming the limit), never a throttle.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

from localcloud.core.registry import FunctionSpec

ACCOUNT_LIMIT = 1000  # Lambda's default concurrent executions per account and region


def default_max_running() -> int:
    """Invocations run at once on this machine: a few per core (functions wait on I/O)."""
    return max(4, 4 * (os.cpu_count() or 1))


class ConcurrencyLimits:
    """In-flight executions per function and in the account's unreserved pool."""

    def __init__(self, account_limit: int = ACCOUNT_LIMIT,
                 reserved_total: Callable[[], int] = lambda: 0):
        self.account_limit = account_limit
        self.reserved_total = reserved_total  # sum of every function's reserved concurrency
        self.lock = threading.Lock()
        self.unreserved_in_flight = 0
        self.in_flight: dict[str, int] = {}
        # Of each function's executions, how many count in the unreserved pool: its reserved
        # concurrency may change while they run (put-function-concurrency).
        self.unreserved_by_function: dict[str, int] = {}

    def limit(self, spec: FunctionSpec) -> int:
        """The most executions of `spec` that may run at once."""
        if spec.reserved_concurrency is not None:
            return spec.reserved_concurrency
        return max(0, self.account_limit - self.reserved_total())

    def acquire(self, spec: FunctionSpec) -> str | None:
        """Count one more execution of `spec`; the throttle reason instead if AWS would
        refuse it."""
        with self.lock:
            running = self.in_flight.get(spec.name, 0)
            if spec.reserved_concurrency is not None:
                if running >= spec.reserved_concurrency:
                    return "ReservedFunctionConcurrentInvocationLimitExceeded"
            elif self.unreserved_in_flight >= self.limit(spec):
                return "ConcurrentInvocationLimitExceeded"
            else:
                self.unreserved_in_flight += 1
                self.unreserved_by_function[spec.name] = (
                    self.unreserved_by_function.get(spec.name, 0) + 1)
            self.in_flight[spec.name] = running + 1
            return None

    def release(self, spec: FunctionSpec) -> None:
        with self.lock:
            self.in_flight[spec.name] -= 1
            if self.unreserved_by_function.get(spec.name):
                self.unreserved_by_function[spec.name] -= 1
                self.unreserved_in_flight -= 1


class WorkerSlots:
    """At most `size` invocations run at once; the next ones wait for a slot, first come first
    served (a newcomer queues behind the waiters, and `Condition.notify` wakes the oldest)."""

    def __init__(self, size: int, wait: float):
        if size < 1:
            raise ValueError(f"max running invocations must be at least 1, not {size}")
        self.size = size
        self.wait = wait
        self.condition = threading.Condition()
        self.running = 0
        self.waiting = 0
        self.waits = 0  # invocations that found every slot taken
        self.waited_seconds = 0.0
        self.timeouts = 0

    def acquire(self) -> float | None:
        """Take a slot; returns the seconds waited for it, None if none came free in time."""
        with self.condition:
            if self.running < self.size and not self.waiting:
                self.running += 1
                return 0.0
            self.waits += 1
            self.waiting += 1
            started = time.monotonic()
            try:
                got = self.condition.wait_for(lambda: self.running < self.size, self.wait)
            finally:
                self.waiting -= 1
            waited = time.monotonic() - started
            self.waited_seconds += waited
            if not got:
                self.timeouts += 1
                return None
            self.running += 1
            return waited

    def release(self) -> None:
        with self.condition:
            self.running -= 1
            self.condition.notify()

    def stats(self) -> dict:
        with self.condition:
            return {"max_running": self.size, "running": self.running, "waiting": self.waiting,
                    "waits": self.waits, "waited_ms": round(self.waited_seconds * 1000, 1),
                    "wait_timeouts": self.timeouts, "max_wait_seconds": self.wait}
