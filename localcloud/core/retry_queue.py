"""A delayed work queue: items due at a time, run by a few worker threads.

Lambda's asynchronous invocations (retried after 1 and 2 minutes) and EventBridge target
deliveries (retried with backoff) both wait in simulated time before their next attempt; they
share this one queue implementation. Workers start with the first item; `stop` drops what is
not yet due. Due times are simulated instants of the cloud's `Clock`: in manual mode an item
waits until the clock is advanced past it (`next_due`, `fire_due` and `busy` are the hooks the
advance uses, see `app/advance.py`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable, Generic, TypeVar

from .clock import Clock

log = logging.getLogger("localcloud.retry_queue")

Item = TypeVar("Item")


class RetryQueue(Generic[Item]):
    """Runs `work(item)` for each item once it is due, on `workers` threads."""

    def __init__(self, name: str, work: Callable[[Item], None], clock: Clock, *,
                 workers: int = 2):
        self.name = name
        self.clock = clock
        self._work = work
        self._worker_count = workers
        self._heap: list[tuple[float, int, Item]] = []  # (due, sequence, item)
        self._sequence = itertools.count()
        self._running = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._condition = threading.Condition()
        clock.on_change(self._wake)

    def put(self, item: Item, due: float | None = None) -> None:
        """Queue an item, due at `due` (a simulated instant, `clock.due_in`) or now."""
        with self._condition:
            if self._stopping:
                return
            heapq.heappush(self._heap, (self.clock.now() if due is None else due,
                                        next(self._sequence), item))
            self._condition.notify()
            if not self._threads:
                self._threads = [threading.Thread(target=self._loop, daemon=True,
                                                  name=f"{self.name}-{index}")
                                 for index in range(self._worker_count)]
                for thread in self._threads:
                    thread.start()

    def pending(self) -> int:
        """Items queued or running."""
        with self._condition:
            return len(self._heap) + self._running

    def busy(self) -> bool:
        """An item is running or due."""
        with self._condition:
            return self._busy()

    def _busy(self) -> bool:
        return bool(self._running or (self._heap and self._heap[0][0] <= self.clock.now()))

    def next_due(self) -> float | None:
        """The simulated instant the earliest queued item is due, None when none is queued."""
        with self._condition:
            return self._heap[0][0] if self._heap else None

    def fire_due(self, now: float) -> int:
        """How many items are due at `now`: the workers, woken by the clock, run them."""
        with self._condition:
            self._condition.notify_all()
            return sum(1 for due, _, _ in self._heap if due <= now)

    def _wake(self) -> None:
        with self._condition:
            self._condition.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until no item is due or running (later ones may still be queued)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._busy():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; items not yet run are dropped."""
        with self._condition:
            self._stopping = True
            dropped = len(self._heap)
            self._heap.clear()
            self._condition.notify_all()
            threads, self._threads = self._threads, []
        if dropped:
            log.info("%s stopping: %d queued items dropped", self.name, dropped)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._stopping:
                    wait = self.clock.wait_seconds(self._heap[0][0]) if self._heap else None
                    if wait is not None and wait <= 0:
                        break
                    self._condition.wait(wait)
                if self._stopping:
                    return
                _, _, item = heapq.heappop(self._heap)
                self._running += 1
            try:
                self._work(item)
            except Exception:  # keep the worker alive whatever happens
                log.exception("%s: work item failed", self.name)
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()
