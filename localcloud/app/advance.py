"""Advancing a manual clock: every timer's occurrences inside the advance, each at its own
simulated instant, in order, and only then return, once the cloud has settled.

A `Timer` (a retry queue, the scheduler, the alarm evaluator, moto's SQS clock) says when its
next item is due and fires what is due at an instant; an `Activity` (the Lambda executor, the
SQS pollers, ...) says whether work it started is still in flight. Services give these small
hooks; this module knows none of them.

`advance(seconds)` repeats: settle; take the earliest due instant of all timers within the
target; set the clock there; let every timer fire what is due. Then it sets the clock to the
target (the timers fire there too), settles once more and returns what fired, by timer name. Settled means no activity
busy (no timer item due or running, no invocation running, ...) on `QUIET_CHECKS` consecutive
looks, so that work handed from one part to the next is seen.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Callable, Protocol

from localcloud.core.clock import Clock, iso_millis

QUIET_CHECKS = 3  # consecutive idle looks that make "settled"
CHECK_SECONDS = 0.01  # real seconds between looks
SETTLE_TIMEOUT = 120.0  # real seconds one settle may take before the advance fails
MAX_STEPS = 100_000  # a timer that never stops falling due is a bug: fail rather than spin

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


class Timer(Protocol):
    def next_due(self) -> float | None:
        """The simulated instant of the earliest pending item, None when nothing is pending."""

    def fire_due(self, now: float) -> int:
        """Fire (or release to its workers) every item due at `now`; returns how many."""


class Activity(Protocol):
    def busy(self) -> bool:
        """Work started (by a firing or a request) is still in flight."""


class NotSettled(RuntimeError):
    """The cloud did not settle within the timeout; the message names what stayed busy."""


def parse_duration(text: str | float | int) -> float:
    """Seconds in `90`, `90s`, `15m`, `2h`, `1.5d`."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        match = _DURATION.match(str(text))
        if not match:
            raise ValueError(f"not a duration: {text!r} (e.g. 90, 90s, 15m, 2h, 1d)")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


class Advancer:
    def __init__(self, clock: Clock, *, timers: dict[str, Timer],
                 activities: dict[str, Activity],
                 flushes: list[Callable[[], None]] = (),  # type: ignore[assignment]
                 settle_timeout: float = SETTLE_TIMEOUT):
        self.clock = clock
        self.timers = timers
        # Timers are activities too: an item due or running keeps the cloud busy.
        self.activities = {**{name: timer for name, timer in timers.items()
                              if hasattr(timer, "busy")}, **activities}
        self.flushes = list(flushes)  # buffers to ship before each look (telemetry)
        self.settle_timeout = settle_timeout
        self._lock = threading.Lock()  # one advance at a time

    def advance(self, seconds: float) -> dict:
        """Move the manual clock `seconds` forward; returns {"fired": {timer: count},
        "steps": N, "now": ISO time, "epoch": seconds} once settled."""
        if not self.clock.manual:
            raise RuntimeError("the clock is scaled (start with --clock manual to advance it)")
        with self._lock:
            target = self.clock.now() + parse_duration(seconds)
            fired: Counter[str] = Counter()
            steps = 0
            self.settle()
            while True:
                due = min((when for when in (timer.next_due() for timer in self.timers.values())
                           if when is not None), default=None)
                if due is None or due > target:
                    break
                steps += 1
                if steps > MAX_STEPS:
                    raise NotSettled(f"more than {MAX_STEPS} steps: a timer keeps falling due")
                self._step(due, fired)
            self._step(target, fired)  # timers that keep a copy of the time (moto) follow
            now = self.clock.now()
            return {"fired": dict(fired), "steps": steps, "now": iso_millis(now), "epoch": now}

    def _step(self, moment: float, fired: Counter[str]) -> None:
        """Set the clock to `moment`, let every timer fire what is due, settle."""
        self.clock.set(moment)
        now = self.clock.now()
        for name, timer in self.timers.items():
            count = timer.fire_due(now)
            if count:
                fired[name] += count
        self.settle()

    def settle(self) -> None:
        """Return once nothing is busy on QUIET_CHECKS consecutive looks (NotSettled after
        the timeout, naming the busy parts)."""
        deadline = time.monotonic() + self.settle_timeout
        quiet = 0
        while quiet < QUIET_CHECKS:
            for flush in self.flushes:
                flush()
            busy = [name for name, activity in self.activities.items() if activity.busy()]
            quiet = 0 if busy else quiet + 1
            if busy and time.monotonic() > deadline:
                raise NotSettled(f"still busy after {self.settle_timeout:g}s: "
                                 f"{', '.join(busy)}")
            if quiet < QUIET_CHECKS:
                time.sleep(CHECK_SECONDS)

    def state(self) -> dict:
        now = self.clock.now()
        due = {name: timer.next_due() for name, timer in self.timers.items()}
        return {"mode": self.clock.mode, "time_scale": self.clock.time_scale,
                "now": iso_millis(now), "epoch": now,
                "next_due": {name: iso_millis(when) for name, when in due.items()
                             if when is not None}}
