"""EventBridge Pipes from a DynamoDB stream to an event bus, run by the local cloud.

One thread per pipe (as one batch per shard at a time, parallelization factor 1):

- poll the stream (a `StreamReader` the composition root opens) every `POLL_SECONDS`, up to the
  batch size, waiting out the batching window for a fuller batch;
- keep the records that match any of the pipe's filters (the EventBridge pattern matcher the
  local rules use; no filter keeps all), and settle the others at once;
- enrich: invoke the Lambda function synchronously with the batch (a JSON array); what it
  returns is the batch from then on (an array: one event per element);
- deliver: PutEvents through the gateway, exactly as a client's PutEvents, so the bus's rules
  fire (and faults injected on `events:PutEvents` apply); source, detail type and resources
  are the target parameters, the detail each record or enrichment element;
- a failure (enrichment error, throttle, PutEvents refused) retries the batch with exponential
  backoff in simulated time (1 s doubling to 60 s); with AUTOMATIC_BISECT a failing batch is
  halved first; after MaximumRetryAttempts or MaximumRecordAgeInSeconds the batch's
  description (DDBStreamBatchInfo, not the records, as AWS sends) goes to the dead-letter
  queue, and the shard moves on. Until then later records wait: order is kept.

The pipe acts as its role, as on AWS: each read of the stream (`dynamodb:DescribeStream`,
`GetShardIterator`, `GetRecords` on the stream), the enrichment (`lambda:InvokeFunction`), the
PutEvents (`events:PutEvents` on the bus) and the dead-letter send (`sqs:SendMessage`) are
authorized for it (`Cloud.authorize_role`) before the local cloud makes them with its own key. A
read it may not make leaves the records in the stream (logged, tried again every second); an
enrichment or PutEvents it may not make fails the attempt (retried, then dead-lettered); a
dead-letter send it may not make drops the batch (logged).

Delivery is at least once: a batch retried after some PutEvents entries were accepted delivers
those again. StopPipe / StartPipe (stored in moto) pause and resume polling within a second.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from localcloud.core.background import BackgroundLoop
from localcloud.core.delivery import queue_url
from localcloud.core.ports import Cloud
from localcloud.core.registry import PipeSpec

log = logging.getLogger("localcloud.pipes")

POLL_SECONDS = 0.25  # real seconds between empty polls
STATE_SECONDS = 1.0  # how often the pipe's desired state is read from moto
FIRST_BACKOFF_SECONDS = 1.0  # simulated
MAX_BACKOFF_SECONDS = 60.0
PUT_EVENTS_MAX_ENTRIES = 10
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator",
                       "dynamodb:GetRecords")


class StreamSource(Protocol):
    """What a pipe reads: see services/dynamodbstreams/reader.py."""

    def open(self) -> None: ...

    def read(self, limit: int) -> list[dict]: ...

    def commit(self, records: list[dict]) -> None: ...


# (stream ARN, starting position) -> a source; (pattern JSON, event) -> whether it matches
OpenStream = Callable[[str, str], StreamSource]
Matches = Callable[[str, dict], bool]


class PipeFailure(Exception):
    """One failed attempt at a batch."""


class PipeRunners:
    """One runner per pipe in the registry (a Part of the local cloud)."""

    def __init__(self, cloud: Cloud, *, open_stream: OpenStream, matches: Matches):
        self.cloud = cloud
        self.open_stream = open_stream
        self.matches = matches
        self.runners: list[PipeRunner] = []

    def start(self) -> None:
        if self.runners:
            return
        for spec in self.cloud.registry.pipes:
            runner = PipeRunner(self.cloud, spec, self.open_stream(spec.source_arn,
                                                                  spec.starting_position),
                                self.matches)
            self.runners.append(runner)
            runner.start()

    def stop(self) -> None:
        for runner in self.runners:
            runner.stop()
        self.runners = []

    def stats(self) -> dict[str, dict]:
        return {runner.spec.name: runner.stats() for runner in self.runners}


class PipeRunner(BackgroundLoop):
    """Runs one pipe on its own thread."""

    def __init__(self, cloud: Cloud, spec: PipeSpec, source: StreamSource, matches: Matches):
        super().__init__()
        self.thread_name = f"pipe-{spec.name}"
        self.cloud = cloud
        self.spec = spec
        self.source = source
        self.matches = matches
        self._running_until = 0.0
        self._running = True
        self._read_denied: str | None = None  # the deny last logged for a stream read
        self.counts = {"delivered": 0, "filtered_out": 0, "failed_attempts": 0,
                       "dead_lettered": 0}

    def start(self) -> None:
        self.source.open()  # LATEST: from the moment the pipe starts, like a new pipe
        super().start()

    def stats(self) -> dict[str, Any]:
        return {"running": self._running, **self.counts}

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._desired_running():
                    self._stop.wait(STATE_SECONDS)
                    continue
                records = self._gather()
                if not records:
                    self._stop.wait(POLL_SECONDS)
                    continue
                if self._settle(records):
                    self.source.commit(records)
            except Exception:  # a moto hiccup must not end the pipe
                log.exception("pipe %s: polling %s failed", self.spec.name, self.spec.source_arn)
                self._stop.wait(1.0)

    def _desired_running(self) -> bool:
        """StopPipe / StartPipe, read from moto at most once a second."""
        if time.monotonic() >= self._running_until:
            try:
                pipe = self.cloud.aws("pipes").describe_pipe(Name=self.spec.name)
                self._running = pipe.get("DesiredState", "RUNNING") != "STOPPED"
            except Exception:
                log.debug("pipe %s: describe failed, state unchanged", self.spec.name,
                          exc_info=True)
            self._running_until = time.monotonic() + STATE_SECONDS
        return self._running

    def _denied(self, action: str, resource: str) -> str | None:
        """The deny of `action` on `resource` for the pipe's role, if any."""
        if not self.spec.role_arn:
            return None
        return self.cloud.authorize_role(self.spec.role_arn, self.spec.name, action, resource)

    def _may_read(self) -> bool:
        denied = next(filter(None, (self._denied(action, self.spec.source_arn)
                                    for action in STREAM_READ_ACTIONS)), None)
        if denied and denied != self._read_denied:
            log.error("pipe %s: cannot read its source: %s", self.spec.name, denied)
        self._read_denied = denied
        return denied is None

    def _gather(self) -> list[dict]:
        if not self._may_read():
            self._stop.wait(STATE_SECONDS)
            return []
        records = self.source.read(self.spec.batch_size)
        window = self.spec.maximum_batching_window_seconds
        if records and window > 0 and len(records) < self.spec.batch_size:
            self._stop.wait(self.cloud.clock.real_seconds(window))
            records = self.source.read(self.spec.batch_size)
        return records

    def _settle(self, records: list[dict]) -> bool:
        """Deliver or dead-letter the batch; False when stopping left it unsettled."""
        kept = [r for r in records if not self.spec.filters
                or any(self.matches(pattern, r) for pattern in self.spec.filters)]
        self.counts["filtered_out"] += len(records) - len(kept)
        return not kept or self._process(kept)

    def _process(self, batch: list[dict]) -> bool:
        attempts = 0
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                attempts += 1
                self._deliver(batch)
                return True
            except PipeFailure as failure:
                self.counts["failed_attempts"] += 1
                log.info("pipe %s: a batch of %d failed (attempt %d): %s", self.spec.name,
                         len(batch), attempts, failure)
                if self.spec.bisect_on_failure and len(batch) > 1:
                    middle = len(batch) // 2
                    return self._process(batch[:middle]) and self._process(batch[middle:])
                if self._exhausted(batch, attempts):
                    self._dead_letter(batch, attempts, "RetryAttemptsExhausted"
                                      if self._retries_exhausted(attempts)
                                      else "RecordAgeExceeded")
                    return True
            if self._stop.wait(self.cloud.clock.real_seconds(backoff)):
                return False
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _retries_exhausted(self, attempts: int) -> bool:
        limit = self.spec.maximum_retry_attempts
        return limit >= 0 and attempts > limit

    def _exhausted(self, batch: list[dict], attempts: int) -> bool:
        if self._retries_exhausted(attempts):
            return True
        limit = self.spec.maximum_record_age_seconds
        if limit < 0:
            return False
        oldest = min(r["dynamodb"].get("ApproximateCreationDateTime", time.time())
                     for r in batch)
        return self.cloud.clock.simulated_seconds(time.time() - oldest) > limit

    # -- one attempt --------------------------------------------------------------------------

    def _deliver(self, batch: list[dict]) -> None:
        payloads: list[Any] = batch
        if self.spec.enrichment_function:
            payloads = self._enrich(batch)
        entries = [{"EventBusName": self.spec.target_arn,
                    "Source": self.spec.source or "Pipe " + self.spec.name,
                    "DetailType": self.spec.detail_type or "Event from aws:dynamodb",
                    "Detail": json.dumps(payload), "Resources": self.spec.resources}
                   for payload in payloads]
        denied = self._denied("events:PutEvents", self.spec.target_arn)
        if denied:
            raise PipeFailure(f"PutEvents: AccessDeniedException: {denied}")
        events = self.cloud.aws("events", via_gateway=True)
        for start in range(0, len(entries), PUT_EVENTS_MAX_ENTRIES):
            try:
                response = events.put_events(Entries=entries[start:start + PUT_EVENTS_MAX_ENTRIES])
            except Exception as error:
                raise PipeFailure(f"PutEvents: {error}") from error
            if response.get("FailedEntryCount"):
                failed = next(e for e in response["Entries"] if e.get("ErrorCode"))
                raise PipeFailure(f"PutEvents: {failed['ErrorCode']}: {failed.get('ErrorMessage')}")
            self.counts["delivered"] += len(entries[start:start + PUT_EVENTS_MAX_ENTRIES])

    def _enrich(self, batch: list[dict]) -> list[Any]:
        denied = self._denied("lambda:InvokeFunction", self.spec.enrichment_function)
        if denied:
            raise PipeFailure(f"enrichment {self.spec.enrichment_function}: "
                              f"AccessDeniedException: {denied}")
        result = self.cloud.invoke(self.spec.enrichment_function, json.dumps(batch).encode())
        if not result.ok:
            raise PipeFailure(f"enrichment {self.spec.enrichment_function}: status "
                              f"{result.status_code} {result.function_error or ''} "
                              f"{result.payload[:200].decode(errors='replace')}")
        enriched = json.loads(result.payload or b"null")
        if enriched is None:
            return []
        return enriched if isinstance(enriched, list) else [enriched]

    def _dead_letter(self, batch: list[dict], attempts: int, condition: str) -> None:
        self.counts["dead_lettered"] += len(batch)
        if not self.spec.dead_letter_arn:
            log.warning("pipe %s: dropped a batch of %d (%s), no dead-letter queue",
                        self.spec.name, len(batch), condition)
            return
        denied = self._denied("sqs:SendMessage", self.spec.dead_letter_arn)
        if denied:
            log.error("pipe %s: dropped a batch of %d (%s): its dead-letter queue refused it: %s",
                      self.spec.name, len(batch), condition, denied)
            return
        first, last = batch[0], batch[-1]
        message = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self.spec.arn,
                               "condition": condition, "approximateInvokeCount": attempts},
            "version": "1.0",
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "DDBStreamBatchInfo": {
                "streamArn": self.spec.source_arn,
                "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first["dynamodb"].get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last["dynamodb"].get("ApproximateCreationDateTime"),
                "batchSize": len(batch),
            },
        }
        sqs = self.cloud.aws("sqs")
        sqs.send_message(QueueUrl=queue_url(sqs, self.spec.dead_letter_arn),
                         MessageBody=json.dumps(message))
        log.warning("pipe %s: a batch of %d went to its dead-letter queue (%s after %d attempts)",
                    self.spec.name, len(batch), condition, attempts)
