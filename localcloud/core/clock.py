"""Simulated time, in one of two modes.

AWS waits minutes or hours (Lambda's asynchronous retries, EventBridge target backoff, schedules,
alarm periods, SQS visibility timeouts). Every part that waits for simulated time, or writes a
simulated timestamp, reads this one `Clock`:

- `scaled` (`--time-scale N`): N simulated seconds pass per real second, from the clock's start
  at the real wall time. Waits are real and shorter, so still racy.
- `manual` (`--clock manual`): simulated time stands still until `advance.Advancer` moves it
  (`python -m localcloud advance 2h`); whatever falls due inside an advance then runs at its
  own simulated instant.

`now()` is simulated wall time, in epoch seconds. Deadlines (`due_in`) are simulated epoch
seconds too; `wait_seconds` turns one into a real wait (None in manual mode: wait until the
clock moves, see `on_change`).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Callable

MODES = ("scaled", "manual")


class Clock:
    def __init__(self, time_scale: float = 1.0, *, mode: str = "scaled",
                 start: float | None = None):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {', '.join(MODES)}")
        self.time_scale = float(time_scale) if mode == "scaled" else 1.0
        self.mode = mode
        self._epoch_simulated = time.time() if start is None else float(start)
        self._epoch_real = time.monotonic()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    @property
    def manual(self) -> bool:
        return self.mode == "manual"

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    def now(self) -> float:
        """Simulated wall time (epoch seconds)."""
        if self.manual:
            return self._epoch_simulated
        return self._epoch_simulated + (time.monotonic() - self._epoch_real) * self.time_scale

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), timezone.utc)

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long a simulated wait takes in real time (scaled mode)."""
        return simulated_seconds / self.time_scale

    def simulated_seconds(self, real_seconds: float) -> float:
        """How much simulated time passes in a real interval (scaled mode)."""
        return real_seconds * self.time_scale

    def due_in(self, simulated_seconds: float) -> float:
        """The simulated instant at which a wait of `simulated_seconds` starting now ends."""
        return self.now() + simulated_seconds

    def wait_seconds(self, due: float) -> float | None:
        """Real seconds until the simulated instant `due`; None in manual mode (nothing falls
        due until the clock is moved: wait for `on_change`)."""
        if self.manual:
            return None if due > self.now() else 0.0
        return max(0.0, self.real_seconds(due - self.now()))

    # -- manual mode --------------------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` (no arguments, quick) each time the manual clock moves."""
        with self._lock:
            self._listeners.append(listener)

    def set(self, moment: float) -> None:
        """Move the manual clock forward to `moment` (never backward) and wake the waiters."""
        if not self.manual:
            raise RuntimeError("only a manual clock can be set")
        with self._lock:
            if moment <= self._epoch_simulated:
                return
            self._epoch_simulated = float(moment)
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


def iso_millis(moment: float) -> str:
    """AWS's timestamp with milliseconds, e.g. 2026-01-02T03:04:05.678Z."""
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
