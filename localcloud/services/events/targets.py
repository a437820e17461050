"""Delivery of EventBridge events to rule targets, shared by the router and the scheduler.

moto stores each target's `RetryPolicy` and `DeadLetterConfig` but never applies them, and it
cannot deliver to Lambda, SNS or Step Functions at all; this module does all of that:

- the payload: the whole event, or the target's `Input`, `InputPath` or `InputTransformer`;
- one attempt per target kind: Lambda (asynchronous invoke), SQS, SNS (through the gateway, so
  SNS → Lambda subscriptions fire), Step Functions (StartExecution), another event bus;
- on a retryable failure, retries with exponential backoff in simulated time (divided by
  `cloud.time_scale`) until `MaximumRetryAttempts` or `MaximumEventAgeInSeconds` runs out;
  then, like AWS, the event goes to the target's dead-letter queue with the attributes
  RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and
  EXHAUSTED_RETRY_CONDITION. Errors that no retry can fix (missing target, no permission,
  bad input path) go to the dead-letter queue at once, as on AWS.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from .interfaces import Cloud

log = logging.getLogger("localcloud.event_targets")

# AWS defaults when a target has no RetryPolicy.
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86400
# Backoff in simulated seconds: doubling from 1 s, capped so that the default 185 attempts
# spread over about the default 24 hours, with jitter like AWS.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 480.0

_MISSING_CODES = {"ResourceNotFoundException", "QueueDoesNotExist", "NotFound", "NotFoundException",
                  "AWS.SimpleQueueService.NonExistentQueue", "StateMachineDoesNotExist"}
_THROTTLE_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException",
                   "RequestThrottled", "ThrottledException"}
_PERMISSION_CODES = {"AccessDenied", "AccessDeniedException", "AuthorizationError"}


class DeliveryFailure(Exception):
    """One failed attempt, with the ERROR_CODE AWS would write to the dead-letter queue."""

    def __init__(self, code: str, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message or code
        self.retryable = retryable


@dataclass
class DeliveryResult:
    """The outcome of one attempt to deliver to one target."""

    target_id: str
    target_arn: str
    payload: str | None
    ok: bool
    error_code: str | None = None
    error_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"Id": self.target_id, "Arn": self.target_arn,
                                  "Input": self.payload, "Delivered": self.ok}
        if not self.ok:
            result.update(ErrorCode=self.error_code, ErrorMessage=self.error_message)
        return result


@dataclass
class _Attempt:
    rule_arn: str
    target: dict[str, Any]
    event: dict[str, Any]
    hops: int
    first_attempt: float = field(default_factory=time.monotonic)
    retries: int = 0


# (event, bus name or ARN, hops) → routes the event on another bus; raises on an unknown bus.
BusRoute = Callable[[dict, str, int], Any]


def queue_url(sqs: Any, queue_arn: str) -> str:
    """The URL of the queue with this ARN (arn:aws:sqs:region:account:name)."""
    parts = queue_arn.split(":")
    return sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]


# -- payloads ---------------------------------------------------------------------------------

_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def json_path(data: Any, path: str) -> Any:
    """The value at a simple JSONPath (`$`, `$.a.b`, `$.a[0]`, `$['a-b']`), or None."""
    if not path.startswith("$"):
        raise ValueError(f"unsupported JSONPath {path!r}")
    position, current = 1, data
    while position < len(path):
        step = _PATH_STEP.match(path, position)
        if step is None:
            raise ValueError(f"unsupported JSONPath {path!r}")
        name, index, quoted, double_quoted = step.groups()
        if index is not None:
            current = current[int(index)] if (isinstance(current, list)
                                               and int(index) < len(current)) else None
        else:
            key = next(k for k in (name, quoted, double_quoted) if k is not None)
            current = current.get(key) if isinstance(current, dict) else None
        if current is None:
            return None
        position = step.end()
    return current


def _inside_string(template: str, end: int) -> bool:
    """Whether position `end` of a JSON template lies inside a string literal."""
    inside = escaped = False
    for char in template[:end]:
        if escaped:
            escaped = False
        elif char == "\\" and inside:
            escaped = True
        elif char == '"':
            inside = not inside
    return inside


def transform_input(transformer: dict[str, Any], event: dict, rule_arn: str) -> str:
    """Apply an InputTransformer. Inside a string literal a value is inserted as text (strings
    unquoted), elsewhere as JSON, so both `"<name>"` and `<name>` templates work as on AWS."""
    values = {name: json_path(event, path)
              for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update({
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
        "aws.events.event.ingestion-time": event.get("time"),
        "aws.events.event": event,
        "aws.events.event.json": event,
    })
    template = transformer.get("InputTemplate", "")

    def render(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if not _inside_string(template, match.start()):
            return json.dumps(value)
        text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]  # escaped for the enclosing string literal

    return _PLACEHOLDER.sub(render, template)


def target_input(target: dict[str, Any], event: dict, rule_arn: str) -> str:
    """The text EventBridge sends to a target."""
    if target.get("Input") is not None:
        return target["Input"]
    try:
        if target.get("InputPath"):
            return json.dumps(json_path(event, target["InputPath"]))
        if target.get("InputTransformer"):
            return transform_input(target["InputTransformer"], event, rule_arn)
    except ValueError as error:
        raise DeliveryFailure("INVALID_PARAMETER", str(error), retryable=False) from error
    return json.dumps(event)


def _failure_from(error: Exception) -> DeliveryFailure:
    if isinstance(error, DeliveryFailure):
        return error
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "") or str(error)
        if code in _MISSING_CODES:
            return DeliveryFailure("NO_RESOURCE", message, retryable=False)
        if code in _PERMISSION_CODES:
            return DeliveryFailure("NO_PERMISSIONS", message, retryable=False)
        if code in _THROTTLE_CODES:
            return DeliveryFailure("THROTTLING", message)
        return DeliveryFailure("SDK_CLIENT_ERROR", f"{code}: {message}")
    if isinstance(error, (BotoCoreError, OSError)):
        return DeliveryFailure("CONNECTION_FAILURE", str(error))
    return DeliveryFailure("UNKNOWN", repr(error))


# -- delivery ---------------------------------------------------------------------------------

class TargetDispatcher:
    """Delivers events to targets: at once (`deliver`) or on background workers (`submit`);
    failures are retried on the same workers and end in the target's dead-letter queue."""

    WORKERS = 2  # enough to overlap a slow target; light on a 2-core machine

    def __init__(self, cloud: Cloud, route_to_bus: BusRoute):
        self.cloud = cloud
        self.route_to_bus = route_to_bus
        self._clients: dict[tuple[str, bool], Any] = {}
        self._queue_urls: dict[str, str] = {}
        self._pending: list[tuple[float, int, _Attempt]] = []  # heap of (due, seq, attempt)
        self._sequence = itertools.count()
        self._busy = 0
        self._stopping = False
        self._workers: list[threading.Thread] = []
        self._condition = threading.Condition()

    # -- public -------------------------------------------------------------------------------

    def submit(self, rule_arn: str, target: dict, event: dict, hops: int = 0) -> None:
        """Queue the first attempt; retries and the dead-letter queue follow on their own."""
        self._schedule(_Attempt(rule_arn, target, event, hops), time.monotonic())

    def deliver(self, rule_arn: str, target: dict, event: dict, hops: int = 0) -> DeliveryResult:
        """Make the first attempt now; a failure is then retried in the background."""
        return self._attempt(_Attempt(rule_arn, target, event, hops))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until no attempt is due or running (later retries may still be pending)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._busy or (self._pending and self._pending[0][0] <= time.monotonic()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; retries not yet made are dropped."""
        with self._condition:
            self._stopping = True
            dropped = len(self._pending)
            self._pending.clear()
            self._condition.notify_all()
            workers, self._workers = self._workers, []
        if dropped:
            log.info("stopping: %d pending event deliveries dropped", dropped)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    # -- one attempt --------------------------------------------------------------------------

    def _attempt(self, attempt: _Attempt) -> DeliveryResult:
        target = attempt.target
        payload = None
        try:
            payload = target_input(target, attempt.event, attempt.rule_arn)
            self._send(attempt, payload)
        except Exception as error:  # every failure is reported the AWS way, never raised
            failure = _failure_from(error)
            self._after_failure(attempt, failure)
            return DeliveryResult(target["Id"], target["Arn"], payload, False,
                                  failure.code, failure.message)
        return DeliveryResult(target["Id"], target["Arn"], payload, True)

    def _send(self, attempt: _Attempt, payload: str) -> None:
        arn = attempt.target["Arn"]
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "lambda":
            self._to_lambda(arn, payload)
        elif service == "sqs":
            self._to_queue(attempt, payload)
        elif service == "sns":
            self._client("sns", via_gateway=True).publish(TopicArn=arn, Message=payload)
        elif service == "states":
            # Always named: moto rejects a second unnamed start of the same machine.
            self._client("stepfunctions").start_execution(
                stateMachineArn=arn, name=str(uuid.uuid4()), input=payload)
        elif service == "events" and ":event-bus/" in arn:
            # Another bus receives the event itself; it is matched against that bus's rules.
            self.route_to_bus(attempt.event, arn, attempt.hops + 1)
        else:
            raise DeliveryFailure("SDK_CLIENT_ERROR",
                                  f"target {arn} is of a kind the local cloud does not deliver to",
                                  retryable=False)

    def _to_lambda(self, arn: str, payload: str) -> None:
        # EventBridge invokes Lambda asynchronously; the function's own retries and
        # destinations then apply (the core handles them).
        result = self.cloud.invoke(arn, payload.encode(), invocation_type="Event")
        if result.status_code < 300:
            return
        if result.status_code == 404:
            raise DeliveryFailure("NO_RESOURCE", f"Function not found: {arn}", retryable=False)
        if result.status_code == 429:
            raise DeliveryFailure("THROTTLING", "Rate exceeded (Lambda TooManyRequestsException)")
        detail = result.payload.decode(errors="replace")[:200]
        raise DeliveryFailure("SDK_CLIENT_ERROR", f"Lambda returned {result.status_code} {detail}")

    def _to_queue(self, attempt: _Attempt, payload: str) -> None:
        arn = attempt.target["Arn"]
        message: dict[str, Any] = {"QueueUrl": self._queue_url(arn), "MessageBody": payload}
        if arn.endswith(".fifo"):
            group = (attempt.target.get("SqsParameters") or {}).get("MessageGroupId")
            message.update(MessageGroupId=group or "default",
                           MessageDeduplicationId=attempt.event["id"])
        self._client("sqs").send_message(**message)

    # -- retries and the dead-letter queue ----------------------------------------------------

    def _after_failure(self, attempt: _Attempt, failure: DeliveryFailure) -> None:
        policy = attempt.target.get("RetryPolicy") or {}
        max_retries = policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)
        max_age = policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)
        log.info("delivery to %s failed (%s: %s), retries so far %d", attempt.target["Arn"],
                 failure.code, failure.message, attempt.retries)
        if not failure.retryable:
            return self._dead_letter(attempt, failure, exhausted=None)
        if attempt.retries >= max_retries:
            return self._dead_letter(attempt, failure, exhausted="MaximumRetryAttempts")
        scale = self.cloud.time_scale or 1.0
        delay = min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** attempt.retries)
        delay *= random.uniform(0.5, 1.0)  # jitter, as AWS does
        age = (time.monotonic() - attempt.first_attempt) * scale + delay
        if age > max_age:
            return self._dead_letter(attempt, failure, exhausted="MaximumEventAgeInSeconds")
        attempt.retries += 1
        self._schedule(attempt, time.monotonic() + delay / scale)

    def _dead_letter(self, attempt: _Attempt, failure: DeliveryFailure,
                     exhausted: str | None) -> None:
        dlq_arn = (attempt.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq_arn:
            log.warning("event %s dropped for target %s: %s", attempt.event.get("id"),
                        attempt.target["Arn"], failure.message)
            return
        attributes = {
            "RULE_ARN": attempt.rule_arn,
            "TARGET_ARN": attempt.target["Arn"],
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message[:1024],
            "RETRY_ATTEMPTS": str(attempt.retries),
        }
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        try:
            self._client("sqs").send_message(
                QueueUrl=self._queue_url(dlq_arn), MessageBody=json.dumps(attempt.event),
                MessageAttributes={name: {"DataType": "String", "StringValue": value}
                                   for name, value in attributes.items()})
        except Exception:  # AWS counts these as InvocationsFailedToBeSentToDLQ
            log.exception("could not send event %s to dead-letter queue %s",
                          attempt.event.get("id"), dlq_arn)

    # -- workers ------------------------------------------------------------------------------

    def _schedule(self, attempt: _Attempt, due: float) -> None:
        with self._condition:
            if self._stopping:
                return
            heapq.heappush(self._pending, (due, next(self._sequence), attempt))
            self._condition.notify()
            if not self._workers:
                for index in range(self.WORKERS):
                    worker = threading.Thread(target=self._work, daemon=True,
                                              name=f"event-targets-{index}")
                    self._workers.append(worker)
                    worker.start()

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._stopping:
                    now = time.monotonic()
                    if self._pending and self._pending[0][0] <= now:
                        break
                    self._condition.wait(self._pending[0][0] - now if self._pending else None)
                if self._stopping:
                    return
                _, _, attempt = heapq.heappop(self._pending)
                self._busy += 1
            try:
                self._attempt(attempt)
            except Exception:  # keep the worker alive whatever happens
                log.exception("event delivery worker error")
            finally:
                with self._condition:
                    self._busy -= 1
                    self._condition.notify_all()

    # -- clients ------------------------------------------------------------------------------

    def _client(self, service: str, via_gateway: bool = False) -> Any:
        key = (service, via_gateway)
        if key not in self._clients:
            self._clients[key] = self.cloud.aws(service, via_gateway=via_gateway)
        return self._clients[key]

    def _queue_url(self, arn: str) -> str:
        if arn not in self._queue_urls:
            self._queue_urls[arn] = queue_url(self._client("sqs"), arn)
        return self._queue_urls[arn]
