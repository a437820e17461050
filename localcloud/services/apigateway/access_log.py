"""Stage access logs: one line per request in the stage's format, sent to its log group.

Lines are queued by the request thread and written by a background thread in batches
(`put_log_events`), so logging never delays a response. Like AWS, nothing creates the log group:
when it does not exist the lines are dropped (with one warning).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from typing import Any, Callable

log = logging.getLogger(__name__)


def log_group_name(destination_arn: str) -> str:
    """`arn:aws:logs:{region}:{account}:log-group:{name}[:*]` -> name."""
    name = destination_arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


class AccessLogWriter:
    def __init__(self, client: Callable[[], Any], *, flush_interval: float = 0.2) -> None:
        self._client = client
        self._flush_interval = flush_interval
        self._pending: list[tuple[str, int, str]] = []  # (log group, timestamp ms, line)
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._stream = uuid.uuid4().hex  # AWS names access log streams with opaque ids
        self._streams_ready: set[str] = set()
        self._missing_groups: set[str] = set()

    def write(self, destination_arn: str, timestamp_ms: int, line: str) -> None:
        with self._lock:
            self._pending.append((log_group_name(destination_arn), timestamp_ms, line))
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="apigw-access-log",
                                                daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Write everything queued so far (also used by tests and at shutdown)."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for group, timestamp, line in pending:
            by_group[group].append({"timestamp": timestamp, "message": line})
        with self._writing:
            for group, events in by_group.items():
                events.sort(key=lambda e: e["timestamp"])  # the API requires time order
                try:
                    self._put(group, events)
                except Exception:
                    log.exception("writing %d access log lines to %s failed", len(events), group)

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._flush_interval)
            self.flush()

    def _put(self, group: str, events: list[dict[str, Any]]) -> None:
        client = self._client()
        if group not in self._streams_ready:
            try:
                client.create_log_stream(logGroupName=group, logStreamName=self._stream)
            except client.exceptions.ResourceAlreadyExistsException:
                pass
            except client.exceptions.ResourceNotFoundException:
                if group not in self._missing_groups:
                    self._missing_groups.add(group)
                    log.warning("access log group %s does not exist; its lines are dropped",
                                group)
                return
            self._streams_ready.add(group)
            self._missing_groups.discard(group)
        for start in range(0, len(events), 10000):  # put_log_events takes 10,000 at most
            client.put_log_events(logGroupName=group, logStreamName=self._stream,
                                  logEvents=events[start:start + 10000])
