"""SQS event source mappings, polled by the local cloud like Lambda's own pollers.

Mappings are kept out of moto (it would run them itself inside SendMessage, one message at a
time, with no partial failures). Per enabled mapping, poller threads receive up to the batch
size (gathering across receives until the batching window ends), invoke the function
synchronously with the SQS event, and delete what succeeded:

- success: the whole batch is deleted;
- with `ReportBatchItemFailures`: all but the reported `batchItemFailures` are deleted; an
  invalid response (not an object, an unknown or empty itemIdentifier) fails the whole batch;
- function error or throttle: nothing is deleted.

Mappings follow the control plane (`sync`): update-event-source-mapping (batch size, batching
window, Enabled) takes effect on the next receive, delete-event-source-mapping and
delete-function stop the pollers.

Messages not deleted become visible again after the queue's visibility timeout, and moto moves
them to the dead-letter queue on the receive after `maxReceiveCount`. SQS times (visibility
timeout, batching window, long polling) are real seconds: moto's SQS runs in real time.

`SqsPollers.recent` keeps the last batches handed to a function (queue, function, messages,
which failed), newest last, for the console: a processed message is deleted from its queue.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from localcloud.core.arns import Arn
from localcloud.core.delivery import queue_url
from localcloud.core.ports import Cloud
from localcloud.core.registry import EventSourceMapping

log = logging.getLogger("localcloud.sqs_poller")

LONG_POLL_SECONDS = 1  # short enough that stop() returns within about a second
MAX_THREADS_PER_MAPPING = 4  # cap on maximum_concurrency: keep it light on a small machine
RECENT_BATCHES = 500  # batches remembered for the console


class SqsPollers:
    """One set of poller threads per enabled SQS event source mapping of an existing function.

    `sync()` follows the registry after a control-plane change: a mapping deleted, disabled or
    whose function was deleted stops (a batch being processed finishes); a new or re-enabled
    one starts; a changed one is read by its pollers on their next receive."""

    def __init__(self, cloud: Cloud):
        self.cloud = cloud
        self._lock = threading.Lock()
        self._started = False
        self._running: dict[str, _Running] = {}  # by mapping UUID
        self.recent: deque[dict] = deque(maxlen=RECENT_BATCHES)

    def start(self) -> None:
        """Start polling every enabled mapping in the registry (call again after stop())."""
        with self._lock:
            self._started = True
        self.sync()

    def sync(self) -> None:
        registry = self.cloud.registry
        wanted = {mapping.uuid: mapping for mapping in list(registry.event_source_mappings)
                  if mapping.enabled and ":sqs:" in mapping.event_source_arn
                  and registry.function(mapping.function_name) is not None}
        with self._lock:
            if not self._started:
                return
            for uuid, running in list(self._running.items()):
                mapping = wanted.get(uuid)
                if mapping is None or _threads(mapping) != len(running.threads):
                    running.stop.set()  # not joined: a batch in flight finishes on its own
                    del self._running[uuid]
                else:
                    running.poller.mapping = mapping
            for uuid, mapping in wanted.items():
                if uuid not in self._running:
                    self._running[uuid] = _Running.start(self.cloud, mapping, self.recent)

    def busy(self) -> bool:
        """A poller holds a batch, or a polled queue has a visible message (a poller is about
        to take it): what an advance of the manual clock waits for."""
        with self._lock:
            pollers = [running.poller for running in self._running.values()]
        return any(poller.holding or poller.visible() for poller in pollers)

    def polled(self) -> list[str]:
        """The UUIDs of the mappings being polled."""
        with self._lock:
            return sorted(self._running)

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._started = False
            running, self._running = list(self._running.values()), {}
        for one in running:
            one.stop.set()
        deadline = time.monotonic() + timeout
        for one in running:
            for thread in one.threads:
                thread.join(max(0.0, deadline - time.monotonic()))


def _threads(mapping: EventSourceMapping) -> int:
    return max(1, min(mapping.maximum_concurrency or 1, MAX_THREADS_PER_MAPPING))


@dataclass
class _Running:
    """The poller threads of one mapping and the event that stops them."""

    poller: "_MappingPoller"
    stop: threading.Event
    threads: list[threading.Thread]

    @classmethod
    def start(cls, cloud: Cloud, mapping: EventSourceMapping,
              recent: deque[dict]) -> "_Running":
        stop = threading.Event()
        poller = _MappingPoller(cloud, mapping, stop, recent)
        queue_name = Arn.parse(mapping.event_source_arn).resource_name
        threads = [threading.Thread(target=poller.run, daemon=True,
                                    name=f"sqs-poller-{queue_name}-{index}")
                   for index in range(_threads(mapping))]
        for thread in threads:
            thread.start()
        return cls(poller, stop, threads)


def lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS message attribute in the lower-camel shape of Lambda's SQS event."""
    attribute: dict[str, Any] = {}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        attribute["binaryValue"] = (base64.b64encode(raw).decode()
                                    if isinstance(raw, (bytes, bytearray)) else raw)
    attribute["stringListValues"] = list(value.get("StringListValues") or [])
    attribute["binaryListValues"] = list(value.get("BinaryListValues") or [])
    attribute["dataType"] = value.get("DataType", "String")
    return attribute


def reported_failures(payload: bytes, message_ids: set[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures response names, or None when the response
    means the whole batch failed (as documented for Lambda's SQS pollers)."""
    try:
        response = json.loads(payload or b"null")
    except ValueError:
        return None
    if response is None or response == "":
        return set()
    if not isinstance(response, dict):
        return None
    items = response.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in message_ids:
            return None
        failed.add(identifier)
    return failed


class _MappingPoller:
    """Polls one queue for one function; `run` may execute on several threads at once."""

    def __init__(self, cloud: Cloud, mapping: EventSourceMapping, stop: threading.Event,
                 recent: deque[dict]):
        self.cloud = cloud
        self.mapping = mapping
        self.stop = stop
        self.recent = recent
        self.sqs = cloud.aws("sqs")
        self._queue_url: str | None = None
        self._local = threading.local()
        self.holding = 0  # batches received and not yet settled, over this mapping's threads
        self._holding_lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._hold(0)
                try:
                    batch = self._gather()
                    if batch and self.stop.is_set():
                        self._release(batch)
                    elif batch:
                        self._process(batch)
                finally:
                    self._hold(-1)
            except Exception:  # a missing queue or a moto hiccup must not end the poller
                log.exception("polling %s for %s failed", self.mapping.event_source_arn,
                              self.mapping.function_name)
                self.stop.wait(1.0)

    def _hold(self, change: int) -> None:
        """Count this thread's batch in hand: +1 from its first message on (`_receive`), -1
        once it is settled (0 resets the thread's flag at the start of a gather)."""
        local = self._local
        with self._holding_lock:
            if change == 0:
                local.holding = False
            elif change > 0 and not getattr(local, "holding", False):
                local.holding = True
                self.holding += 1
            elif change < 0 and getattr(local, "holding", False):
                local.holding = False
                self.holding -= 1

    def visible(self) -> bool:
        try:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self._url(), AttributeNames=["ApproximateNumberOfMessages"])
        except Exception:  # a deleted queue holds nothing
            return False
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) > 0

    # -- receiving ----------------------------------------------------------------------------

    def _url(self) -> str:
        if self._queue_url is None:
            self._queue_url = queue_url(self.sqs, self.mapping.event_source_arn)
        return self._queue_url

    def _receive(self, count: int, wait_seconds: int) -> list[dict]:
        response = self.sqs.receive_message(
            QueueUrl=self._url(), MaxNumberOfMessages=count, WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"], MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"])
        messages = response.get("Messages", [])
        if messages:
            self._hold(1)
        return messages

    def _gather(self) -> list[dict]:
        """Up to batch_size messages: the first receive waits for any message, then receives
        continue until the batch is full or the batching window (from the first) ends."""
        size = max(1, self.mapping.batch_size)
        window = self.mapping.maximum_batching_window_seconds
        messages: list[dict] = []
        window_ends: float | None = None
        while len(messages) < size and not self.stop.is_set():
            wait = LONG_POLL_SECONDS
            if window_ends is not None:
                remaining = window_ends - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(LONG_POLL_SECONDS, int(remaining))  # moto waits whole seconds
            received = self._receive(min(10, size - len(messages)), wait)
            if received:
                # A message whose visibility timeout ran out while gathering comes back: keep
                # it once, with its newest receipt handle.
                fresh = {message["MessageId"] for message in received}
                messages = [m for m in messages if m["MessageId"] not in fresh] + received
                if window_ends is None:
                    if window <= 0:
                        break
                    window_ends = time.monotonic() + window
            elif window_ends is not None and wait == 0:
                self.stop.wait(min(0.05, max(0.0, window_ends - time.monotonic())))
        return messages

    # -- invoking and settling ----------------------------------------------------------------

    def _record(self, message: dict) -> dict:
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": {name: lambda_message_attribute(value) for name, value
                                  in (message.get("MessageAttributes") or {}).items()},
        }
        if message.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record.update({
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.mapping.event_source_arn,
            "awsRegion": self.cloud.region,
        })
        return record

    def _process(self, batch: list[dict]) -> None:
        received = time.time()
        failed = self._run_batch(batch)
        self.recent.append({
            "at": received, "queue_arn": self.mapping.event_source_arn,
            "function": self.mapping.function_name,
            "messages": [{"messageId": m["MessageId"], "body": m.get("Body", "")} for m in batch],
            "failed": sorted(failed) if failed is not None else "all"})

    def _run_batch(self, batch: list[dict]) -> set[str] | None:
        """Invoke the function with a batch and delete what succeeded; returns the ids of the
        messages that failed, None when the whole batch did."""
        event = {"Records": [self._record(message) for message in batch]}
        result = self.cloud.invoke(self.mapping.function_name, json.dumps(event).encode())
        if not result.ok:
            log.info("%s failed a batch of %d (status %d, %s): messages return after the "
                     "visibility timeout", self.mapping.function_name, len(batch),
                     result.status_code, result.function_error)
            return None
        failed: set[str] | None = set()
        if "ReportBatchItemFailures" in self.mapping.function_response_types:
            failed = reported_failures(result.payload, {m["MessageId"] for m in batch})
            if failed is None:
                log.warning("%s returned an invalid batchItemFailures response: the whole "
                            "batch of %d failed", self.mapping.function_name, len(batch))
                return None
        self._delete([m for m in batch if m["MessageId"] not in failed])
        return failed

    def _delete(self, messages: list[dict]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start:start + 10]
            response = self.sqs.delete_message_batch(QueueUrl=self._url(), Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(chunk)])
            for failure in response.get("Failed", []):
                log.warning("could not delete a message from %s: %s",
                            self.mapping.event_source_arn, failure.get("Message"))

    def _release(self, messages: list[dict]) -> None:
        """Make messages received while stopping visible again at once."""
        for start in range(0, len(messages), 10):
            chunk = messages[start:start + 10]
            self.sqs.change_message_visibility_batch(QueueUrl=self._url(), Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"],
                 "VisibilityTimeout": 0} for index, message in enumerate(chunk)])
