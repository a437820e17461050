"""Simulated time: `--time-scale N` makes N simulated seconds pass per real second.

AWS waits minutes or hours (Lambda's asynchronous retries, EventBridge target backoff, schedules,
alarm periods); the local cloud runs those waits on this clock so they take seconds. Every part
that waits for simulated time converts through one `Clock`.
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self, time_scale: float = 1.0):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = float(time_scale)

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long a simulated wait takes in real time."""
        return simulated_seconds / self.time_scale

    def simulated_seconds(self, real_seconds: float) -> float:
        """How much simulated time passes in a real interval."""
        return real_seconds * self.time_scale

    def due_in(self, simulated_seconds: float) -> float:
        """The monotonic real time at which a simulated wait starting now ends."""
        return time.monotonic() + self.real_seconds(simulated_seconds)
