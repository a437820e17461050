"""A delayed work queue: items due at a time, run by a few worker threads.

Lambda's asynchronous invocations (retried after 1 and 2 minutes) and EventBridge target
deliveries (retried with backoff) both wait in simulated time before their next attempt; they
share this one queue implementation. Workers start with the first item; `stop` drops what is
not yet due.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable, Generic, TypeVar

log = logging.getLogger("localcloud.retry_queue")

Item = TypeVar("Item")


class RetryQueue(Generic[Item]):
    """Runs `work(item)` for each item once it is due, on `workers` threads."""

    def __init__(self, name: str, work: Callable[[Item], None], *, workers: int = 2):
        self.name = name
        self._work = work
        self._worker_count = workers
        self._heap: list[tuple[float, int, Item]] = []  # (due, sequence, item)
        self._sequence = itertools.count()
        self._running = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._condition = threading.Condition()

    def put(self, item: Item, due: float | None = None) -> None:
        """Queue an item, due at `due` (time.monotonic()) or now."""
        with self._condition:
            if self._stopping:
                return
            heapq.heappush(self._heap, (time.monotonic() if due is None else due,
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

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until no item is due or running (later ones may still be queued)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._running or (self._heap and self._heap[0][0] <= time.monotonic()):
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
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._condition.wait(self._heap[0][0] - now if self._heap else None)
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
