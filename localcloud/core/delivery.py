"""Delivery to an ARN: one sender per target service, chosen from one table.

EventBridge targets, Lambda destinations (and whatever else sends "to an ARN") all go through
`Deliveries.send`: an SQS queue (FIFO included), an SNS topic (through the gateway, so SNS →
Lambda fires), a Lambda function (asynchronous invoke, so its retries and destinations apply),
a Step Functions state machine (StartExecution, always named) or an event bus. A failure is a
`DeliveryFailure` carrying the ERROR_CODE EventBridge would write to a dead-letter queue and
whether a retry can help.

A delivery made by an AWS service for a source (`Sender`: EventBridge for a rule) is first
authorized against the target's resource policy (a function, queue or topic); a deny is a
`NO_PERMISSIONS` failure no retry can fix. Step Functions and bus targets are authorized by a
role on AWS, which is not evaluated here.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from .arns import Arn
from .ports import Cloud

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


def failure_from(error: Exception) -> DeliveryFailure:
    """Any exception of an attempt, as EventBridge would classify it."""
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


@dataclass
class Message:
    """What is sent: a text body, and for an event bus the event itself when there is one."""

    body: str
    event: dict | None = None  # an EventBridge event: another bus receives it as it is
    hops: int = 0  # buses this event has already crossed
    source: str = "lambda"  # for a body put on a bus as a new event (Lambda destinations)
    detail_type: str = "Lambda Function Invocation Result - Failure"
    message_group_id: str | None = None  # FIFO queues
    deduplication_id: str | None = None


@dataclass(frozen=True)
class Sender:
    """The service principal a delivery is made as, and the resource it acts for."""

    service: str  # "events.amazonaws.com"
    source_arn: str  # the rule's ARN


# What a service principal needs the target's resource policy to allow, per target service.
TARGET_ACTIONS = {"lambda": "lambda:InvokeFunction", "sqs": "sqs:SendMessage",
                  "sns": "sns:Publish"}

# (event, bus name or ARN, hops) → routes the event on another bus; raises on an unknown bus.
BusRoute = Callable[[dict, str, int], Any]


class Deliveries:
    """Sends messages to ARNs; `route_to_bus` delivers an event to another bus's rules."""

    def __init__(self, cloud: Cloud, *, route_to_bus: BusRoute | None = None):
        self.cloud = cloud
        self.route_to_bus = route_to_bus
        self._queue_urls: dict[str, str] = {}
        self._lock = threading.Lock()
        self._senders: dict[str, Callable[[str, Message], None]] = {
            "sqs": self._to_queue, "sns": self._to_topic, "lambda": self._to_function,
            "states": self._to_state_machine, "events": self._to_bus,
        }

    def send(self, arn: str, message: Message, sender: Sender | None = None) -> None:
        """Deliver once (as `sender`, when a service delivers); raises DeliveryFailure (or the
        client's own error) on failure."""
        service = Arn.parse(arn).service if Arn.is_arn(arn) else ""
        send = self._senders.get(service)
        if send is None or (service == "events" and ":event-bus/" not in arn):
            raise DeliveryFailure("SDK_CLIENT_ERROR",
                                  f"target {arn} is of a kind the local cloud does not deliver to",
                                  retryable=False)
        if sender is not None and service in TARGET_ACTIONS:
            denied = self.cloud.authorize_delivery(sender.service, sender.source_arn,
                                                   TARGET_ACTIONS[service], arn)
            if denied and service == "lambda" and self.cloud.registry.function(arn) is None:
                # A function that is gone has no policy to allow anything: its absence is
                # the failure.
                raise DeliveryFailure("NO_RESOURCE", f"Function not found: {arn}",
                                      retryable=False)
            if denied:
                raise DeliveryFailure("NO_PERMISSIONS", denied, retryable=False)
        send(arn, message)

    def queue_url(self, queue_arn: str) -> str:
        """The URL of the queue with this ARN (cached: queue URLs never change)."""
        with self._lock:
            url = self._queue_urls.get(queue_arn)
        if url is None:
            url = queue_url(self.cloud.aws("sqs"), queue_arn)
            with self._lock:
                self._queue_urls[queue_arn] = url
        return url

    # -- one sender per service ------------------------------------------------------------

    def _to_queue(self, arn: str, message: Message) -> None:
        request: dict[str, Any] = {"QueueUrl": self.queue_url(arn), "MessageBody": message.body}
        if arn.endswith(".fifo"):
            request.update(MessageGroupId=message.message_group_id or "default",
                           MessageDeduplicationId=message.deduplication_id or str(uuid.uuid4()))
        self.cloud.aws("sqs").send_message(**request)

    def _to_topic(self, arn: str, message: Message) -> None:
        self.cloud.aws("sns", via_gateway=True).publish(TopicArn=arn, Message=message.body)

    def _to_function(self, arn: str, message: Message) -> None:
        # Asynchronous, as EventBridge and destinations invoke: the function's own retries and
        # destinations then apply.
        result = self.cloud.invoke(arn, message.body.encode(), invocation_type="Event")
        if result.status_code < 300:
            return
        if result.status_code == 404:
            raise DeliveryFailure("NO_RESOURCE", f"Function not found: {arn}", retryable=False)
        if result.status_code == 429:
            raise DeliveryFailure("THROTTLING", "Rate exceeded (Lambda TooManyRequestsException)")
        detail = result.payload.decode(errors="replace")[:200]
        raise DeliveryFailure("SDK_CLIENT_ERROR", f"Lambda returned {result.status_code} {detail}")

    def _to_state_machine(self, arn: str, message: Message) -> None:
        # Always named: moto rejects a second unnamed start of the same machine.
        self.cloud.aws("stepfunctions").start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input=message.body)

    def _to_bus(self, arn: str, message: Message) -> None:
        if message.event is not None and self.route_to_bus is not None:
            # Another bus receives the event itself; it is matched against that bus's rules.
            self.route_to_bus(message.event, arn, message.hops + 1)
            return
        self.cloud.aws("events", via_gateway=True).put_events(Entries=[{
            "Source": message.source, "DetailType": message.detail_type,
            "Detail": message.body, "EventBusName": arn}])


def queue_url(sqs: Any, queue_arn: str) -> str:
    """The URL of the queue with this ARN, asked of SQS."""
    arn = Arn.parse(queue_arn)
    return sqs.get_queue_url(QueueName=arn.resource, QueueOwnerAWSAccountId=arn.account)["QueueUrl"]

