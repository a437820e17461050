"""Waiting for something asynchronous to happen, in every test layer."""

from __future__ import annotations

import time
from typing import Any, Callable


def wait_for(probe: Callable[[], Any], timeout: float = 60, *, interval: float = 0.2,
             what: str = "condition") -> Any:
    """Call `probe` until it returns something truthy, and return that; fail the test with
    `what` and the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} "
                                 f"(last: {last!r})")
        time.sleep(interval)
