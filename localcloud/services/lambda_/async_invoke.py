"""Asynchronous invocation (InvocationType=Event), as Lambda's internal event queue does it.

An accepted event is run by a background thread; a function error is retried up to the
function's `maximum_retry_attempts` (Lambda waits about 1 then 2 minutes; here divided by the
time scale); a throttled attempt is retried with backoff without counting as a retry; an event
older than `maximum_event_age_seconds` is dropped. The final failure (or success) goes to the
configured destination as Lambda's invocation record.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from .interfaces import FunctionSpec, InvokeResult

if TYPE_CHECKING:
    from .cloud import LocalCloud

log = logging.getLogger("localcloud.async")

RETRY_DELAYS = (60.0, 120.0)  # seconds of simulated time before the 1st and 2nd retry
THROTTLE_BACKOFF_MAX = 300.0


@dataclass
class _Event:
    function: str
    payload: bytes
    qualifier: str | None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received: float = field(default_factory=time.monotonic)
    attempts: int = 0  # attempts that ran the function
    throttles: int = 0


class AsyncInvoker:
    def __init__(self, cloud: "LocalCloud", run: Callable[[FunctionSpec, bytes, str | None, str], InvokeResult],
                 *, threads: int = 4):
        self.cloud = cloud
        self.run = run  # the synchronous invoke: (spec, payload, qualifier, request_id)
        self.queue: list[tuple[float, int, _Event]] = []
        self.sequence = itertools.count()
        self.condition = threading.Condition()
        self.running = 0
        self.stopping = False
        self.threads = [threading.Thread(target=self._loop, name=f"lambda-async-{i}", daemon=True)
                        for i in range(threads)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        with self.condition:
            self.stopping = True
            self.condition.notify_all()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout=2)

    def submit(self, function: str, payload: bytes, qualifier: str | None = None) -> str:
        event = _Event(function, payload, qualifier)
        self._schedule(event, 0.0)
        spec = self.cloud.registry.function(function)
        if spec:
            self.cloud.telemetry.metric("AWS/Lambda", "AsyncEventsReceived", 1, "Count",
                                        {"FunctionName": spec.name})
        return event.request_id

    def pending(self) -> int:
        """Events queued or running (tests wait for this to reach zero)."""
        with self.condition:
            return len(self.queue) + self.running

    def _schedule(self, event: _Event, delay_simulated: float) -> None:
        due = time.monotonic() + delay_simulated / self.cloud.time_scale
        with self.condition:
            heapq.heappush(self.queue, (due, next(self.sequence), event))
            self.condition.notify()

    def _loop(self) -> None:
        while True:
            with self.condition:
                while not self.stopping:
                    if self.queue and self.queue[0][0] <= time.monotonic():
                        break
                    timeout = self.queue[0][0] - time.monotonic() if self.queue else None
                    self.condition.wait(timeout)
                if self.stopping:
                    return
                _, _, event = heapq.heappop(self.queue)
                self.running += 1
            try:
                self._attempt(event)
            except Exception:
                log.exception("asynchronous invocation of %s failed", event.function)
            finally:
                with self.condition:
                    self.running -= 1

    def _attempt(self, event: _Event) -> None:
        spec = self.cloud.registry.function(event.function)
        if spec is None:
            log.warning("dropping an event for unknown function %s", event.function)
            return
        config = spec.async_config
        age = (time.monotonic() - event.received) * self.cloud.time_scale
        if age > config.maximum_event_age_seconds:
            self._finish(spec, event, None, "EventAgeExceeded")
            return
        result = self.run(spec, event.payload, event.qualifier, event.request_id)
        if result.status_code == 429:
            event.throttles += 1
            self._schedule(event, min(2.0 ** event.throttles, THROTTLE_BACKOFF_MAX))
            return
        event.attempts += 1
        if result.ok:
            self._finish(spec, event, result, "Success")
        elif event.attempts <= config.maximum_retry_attempts:
            delay = RETRY_DELAYS[min(event.attempts - 1, len(RETRY_DELAYS) - 1)]
            log.info("%s failed (attempt %d), retrying in %ss simulated", spec.name,
                     event.attempts, delay)
            self._schedule(event, delay)
        else:
            self._finish(spec, event, result, "RetriesExhausted")

    def _finish(self, spec: FunctionSpec, event: _Event, result: InvokeResult | None,
                condition: str) -> None:
        config = spec.async_config
        destination = config.on_success_arn if condition == "Success" else config.on_failure_arn
        if condition != "Success":
            self.cloud.telemetry.metric("AWS/Lambda", "AsyncEventsDropped", 1, "Count",
                                        {"FunctionName": spec.name})
            log.warning("%s: event %s dropped (%s)%s", spec.name, event.request_id, condition,
                        f", sent to {destination}" if destination else "")
        if not destination:
            return
        record = invocation_record(spec, event, result, condition)
        try:
            self.cloud.deliver(destination, json.dumps(record),
                               detail_type="Lambda Function Invocation Result - "
                                           + ("Success" if condition == "Success" else "Failure"))
        except Exception:
            log.exception("%s: delivery to destination %s failed", spec.name, destination)
            self.cloud.telemetry.metric("AWS/Lambda", "DestinationDeliveryFailures", 1, "Count",
                                        {"FunctionName": spec.name})


def _json_or_text(data: bytes):
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode("utf-8", "replace")


def invocation_record(spec: FunctionSpec, event: _Event, result: InvokeResult | None,
                      condition: str) -> dict:
    """Lambda's destination record for an asynchronous invocation."""
    version = result.executed_version if result else "$LATEST"
    record = {
        "version": "1.0",
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{spec.arn}:{event.qualifier or version}",
            "condition": condition,
            "approximateInvokeCount": max(event.attempts, 1),
        },
        "requestPayload": _json_or_text(event.payload),
    }
    if result is not None:
        record["responseContext"] = {"statusCode": result.status_code, "executedVersion": version}
        if result.function_error:
            record["responseContext"]["functionError"] = result.function_error
        record["responsePayload"] = _json_or_text(result.payload)
    return record
