"""Asynchronous invocation (InvocationType=Event), as Lambda's internal event queue does it.

An accepted event waits on the core's retry queue; a function error is retried up to the
function's `maximum_retry_attempts` (Lambda waits about 1 then 2 minutes, in simulated time); a
throttled attempt is retried with backoff without counting as a retry; an event older than
`maximum_event_age_seconds` is dropped. The final failure (or success) goes to the configured
destination as Lambda's invocation record, through the core's delivery table.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from localcloud.core.clock import Clock, iso_millis
from localcloud.core.delivery import Deliveries, Message
from localcloud.core.ports import InvokeResult
from localcloud.core.registry import FunctionSpec, Registry
from localcloud.core.retry_queue import RetryQueue
from localcloud.core.telemetry import Telemetry

log = logging.getLogger("localcloud.async")

RETRY_DELAYS = (60.0, 120.0)  # seconds of simulated time before the 1st and 2nd retry
THROTTLE_BACKOFF_MAX = 300.0

# The synchronous invoke: (spec, payload, qualifier, request_id) -> result
RunSync = Callable[[FunctionSpec, bytes, "str | None", str], InvokeResult]


@dataclass
class _Event:
    function: str
    payload: bytes
    qualifier: str | None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received: float = field(default_factory=time.time)  # simulated: the clock's now()
    attempts: int = 0  # attempts that ran the function
    throttles: int = 0


class AsyncInvoker:
    def __init__(self, *, registry: Callable[[], Registry], run: RunSync, clock: Clock,
                 telemetry: Telemetry, deliveries: Deliveries, threads: int = 4):
        self.registry = registry  # the current registry (replaced by each deployment)
        self.run = run
        self.clock = clock
        self.telemetry = telemetry
        self.deliveries = deliveries
        self.queue: RetryQueue[_Event] = RetryQueue("lambda-async", self._attempt, clock,
                                                    workers=threads)

    def stop(self) -> None:
        self.queue.stop(timeout=2)

    def submit(self, function: str, payload: bytes, qualifier: str | None = None) -> str:
        event = _Event(function, payload, qualifier, received=self.clock.now())
        self.queue.put(event)
        spec = self.registry().function(function)
        if spec:
            self._count(spec, "AsyncEventsReceived")
        return event.request_id

    def pending(self) -> int:
        """Events queued or running (tests wait for this to reach zero)."""
        return self.queue.pending()

    def _count(self, spec: FunctionSpec, metric: str) -> None:
        self.telemetry.metric("AWS/Lambda", metric, 1, "Count", {"FunctionName": spec.name})

    def _attempt(self, event: _Event) -> None:
        spec = self.registry().function(event.function)
        if spec is None:
            log.warning("dropping an event for unknown function %s", event.function)
            return
        config = spec.async_config
        age = self.clock.now() - event.received
        if age > config.maximum_event_age_seconds:
            self._finish(spec, event, None, "EventAgeExceeded")
            return
        result = self.run(spec, event.payload, event.qualifier, event.request_id)
        if result.status_code == 429:
            event.throttles += 1
            self.queue.put(event, self.clock.due_in(min(2.0 ** event.throttles,
                                                        THROTTLE_BACKOFF_MAX)))
            return
        event.attempts += 1
        if result.ok:
            self._finish(spec, event, result, "Success")
        elif event.attempts <= config.maximum_retry_attempts:
            delay = RETRY_DELAYS[min(event.attempts - 1, len(RETRY_DELAYS) - 1)]
            log.info("%s failed (attempt %d), retrying in %ss simulated", spec.name,
                     event.attempts, delay)
            self.queue.put(event, self.clock.due_in(delay))
        else:
            self._finish(spec, event, result, "RetriesExhausted")

    def _finish(self, spec: FunctionSpec, event: _Event, result: InvokeResult | None,
                condition: str) -> None:
        config = spec.async_config
        destination = config.on_success_arn if condition == "Success" else config.on_failure_arn
        if condition != "Success":
            self._count(spec, "AsyncEventsDropped")
            log.warning("%s: event %s dropped (%s)%s", spec.name, event.request_id, condition,
                        f", sent to {destination}" if destination else "")
        if not destination:
            return
        record = invocation_record(spec, event, result, condition, at=self.clock.now())
        try:
            self.deliveries.send(destination, Message(
                body=json.dumps(record), detail_type="Lambda Function Invocation Result - "
                + ("Success" if condition == "Success" else "Failure")))
        except Exception:
            log.exception("%s: delivery to destination %s failed", spec.name, destination)
            self._count(spec, "DestinationDeliveryFailures")


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode("utf-8", "replace")


def invocation_record(spec: FunctionSpec, event: _Event, result: InvokeResult | None,
                      condition: str, *, at: float | None = None) -> dict:
    """Lambda's destination record for an asynchronous invocation, timestamped `at` (the
    simulated now; default the real time)."""
    version = result.executed_version if result else "$LATEST"
    record = {
        "version": "1.0",
        "timestamp": iso_millis(time.time() if at is None else at),
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
