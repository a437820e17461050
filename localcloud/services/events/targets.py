"""Delivery of EventBridge events to rule targets, shared by the router and the scheduler.

moto stores each target's `RetryPolicy` and `DeadLetterConfig` but never applies them, and it
cannot deliver to Lambda, SNS or Step Functions at all; this module does all of that:

- the payload (`target_input`): the whole event, or the target's `Input`, `InputPath` or
  `InputTransformer`;
- one attempt per target through the core's delivery table (Lambda, SQS, SNS, Step Functions,
  another event bus), as `events.amazonaws.com` for the rule: the function's, queue's or
  topic's resource policy must allow it (else `NO_PERMISSIONS`, straight to the DLQ);
- on a retryable failure, retries with exponential backoff in simulated time until
  `MaximumRetryAttempts` or `MaximumEventAgeInSeconds` runs out, on the core's retry queue;
  then, like AWS, the event goes to the target's dead-letter queue with the attributes
  RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and
  EXHAUSTED_RETRY_CONDITION. Errors that no retry can fix (missing target, no permission,
  bad input path) go to the dead-letter queue at once, as on AWS.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from typing import Any

from localcloud.core.delivery import (BusRoute, Deliveries, DeliveryFailure, Message, Sender,
                                     failure_from)
from localcloud.core.ports import Cloud
from localcloud.core.retry_queue import RetryQueue

from .target_input import target_input

log = logging.getLogger("localcloud.event_targets")

EVENTS = "events.amazonaws.com"  # the principal EventBridge delivers as

# AWS defaults when a target has no RetryPolicy.
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86400
# Backoff in simulated seconds: doubling from 1 s, capped so that the default 185 attempts
# spread over about the default 24 hours, with jitter like AWS.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 480.0


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
    first_attempt: float  # the simulated instant of the first attempt
    retries: int = 0


class TargetDispatcher:
    """Delivers events to targets: at once (`deliver`) or on background workers (`submit`);
    failures are retried on the same workers and end in the target's dead-letter queue."""

    WORKERS = 2  # enough to overlap a slow target; light on a 2-core machine

    def __init__(self, cloud: Cloud, route_to_bus: BusRoute):
        self.cloud = cloud
        self.deliveries = Deliveries(cloud, route_to_bus=route_to_bus)
        self._queue: RetryQueue[_Attempt] = RetryQueue("event-targets", self._attempt,
                                                       cloud.clock, workers=self.WORKERS)

    @property
    def retries(self) -> RetryQueue[_Attempt]:
        """The queue of attempts (a timer of the manual clock's advance)."""
        return self._queue

    def submit(self, rule_arn: str, target: dict, event: dict, hops: int = 0) -> None:
        """Queue the first attempt; retries and the dead-letter queue follow on their own."""
        self._queue.put(_Attempt(rule_arn, target, event, hops, self.cloud.clock.now()))

    def deliver(self, rule_arn: str, target: dict, event: dict, hops: int = 0) -> DeliveryResult:
        """Make the first attempt now; a failure is then retried in the background."""
        return self._attempt(_Attempt(rule_arn, target, event, hops, self.cloud.clock.now()))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until no attempt is due or running (later retries may still be pending)."""
        return self._queue.flush(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; retries not yet made are dropped."""
        self._queue.stop(timeout)

    # -- one attempt --------------------------------------------------------------------------

    def _attempt(self, attempt: _Attempt) -> DeliveryResult:
        target = attempt.target
        payload = None
        try:
            payload = target_input(target, attempt.event, attempt.rule_arn)
            self.deliveries.send(target["Arn"], Message(
                body=payload, event=attempt.event, hops=attempt.hops,
                message_group_id=(target.get("SqsParameters") or {}).get("MessageGroupId"),
                deduplication_id=attempt.event["id"]), Sender(EVENTS, attempt.rule_arn))
        except Exception as error:  # every failure is reported the AWS way, never raised
            failure = failure_from(error)
            self._after_failure(attempt, failure)
            return DeliveryResult(target["Id"], target["Arn"], payload, False,
                                  failure.code, failure.message)
        return DeliveryResult(target["Id"], target["Arn"], payload, True)

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
        clock = self.cloud.clock
        delay = min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** attempt.retries)
        delay *= random.uniform(0.5, 1.0)  # jitter, as AWS does
        age = clock.now() - attempt.first_attempt + delay
        if age > max_age:
            return self._dead_letter(attempt, failure, exhausted="MaximumEventAgeInSeconds")
        attempt.retries += 1
        self._queue.put(attempt, clock.due_in(delay))

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
        denied = self.cloud.authorize_delivery(EVENTS, attempt.rule_arn, "sqs:SendMessage",
                                               dlq_arn)
        if denied:  # AWS counts these as InvocationsFailedToBeSentToDLQ
            log.warning("event %s not sent to dead-letter queue %s: %s",
                        attempt.event.get("id"), dlq_arn, denied)
            return
        try:
            self.cloud.aws("sqs").send_message(
                QueueUrl=self.deliveries.queue_url(dlq_arn), MessageBody=json.dumps(attempt.event),
                MessageAttributes={name: {"DataType": "String", "StringValue": value}
                                   for name, value in attributes.items()})
        except Exception:  # AWS counts these as InvocationsFailedToBeSentToDLQ
            log.exception("could not send event %s to dead-letter queue %s",
                          attempt.event.get("id"), dlq_arn)
