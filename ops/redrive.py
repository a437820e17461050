"""Redrive: move the messages of a dead-letter queue back to where they failed.

Two ways, chosen per queue:

- **StartMessageMoveTask**, when the DLQ is an SQS queue's redrive target (it has source
  queues) and every message goes back (no `--max`): SQS itself moves each message to the queue
  it came from (or to `--to`), and this tool follows the task until it ends. Where the endpoint
  does not offer it (the local cloud: moto does not implement it), it says so and falls back.
- **receive / send / delete**, one message at a time, otherwise. Where a message goes depends
  on what put it there, read from the message itself:
  - `--to` given: to that queue;
  - an SQS redrive DLQ: to its source queue (the `DeadLetterQueueSourceArn` attribute, or the
    only source queue);
  - an EventBridge target DLQ (attributes `RULE_ARN`, `TARGET_ARN`): to the original target —
    SendMessage to an SQS target, an asynchronous Invoke of a Lambda target with the event —
    else PutEvents of the event again on the rule's bus (every rule of that bus sees it again);
  - a Lambda asynchronous-failure record (`requestContext`, `requestPayload`): an asynchronous
    Invoke of that function with the original payload.
  A message is deleted only after it was sent on; one whose destination cannot be told is left
  in the queue and counted as skipped.

Every step is printed; `--dry-run` receives nothing and moves nothing.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

from botocore.exceptions import BotoCoreError, ClientError

RECEIVE_BATCH = 10
# Long enough to send one message on before another reader could see it again.
VISIBILITY_SECONDS = 60
MOVE_TASK_POLL_SECONDS = 2.0
MOVE_TASK_DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str

    @property
    def name(self) -> str:
        return self.arn.rsplit(":", 1)[-1]


@dataclass
class Summary:
    queue: str
    method: str
    moved: Counter[str] = field(default_factory=Counter)  # destination -> messages
    skipped: int = 0
    failed: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not (self.skipped or self.failed)

    def describe(self) -> str:
        verb = "would move" if self.dry_run else "moved"
        lines = [f"redrive {self.queue} ({self.method}): {verb} {sum(self.moved.values())}, "
                 f"skipped {self.skipped}, failed {self.failed}"]
        lines += [f"  {count:>6}  -> {destination}" for destination, count in
                  sorted(self.moved.items())]
        return "\n".join(lines)


class Redrive:
    def __init__(self, session: Any, out: TextIO) -> None:
        self.sqs = session.client("sqs")
        self.session = session
        self.out = out

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- the command ----------------------------------------------------------------------

    def run(self, queue: str, *, to: str | None = None, max_messages: int | None = None,
            dry_run: bool = False) -> Summary:
        dlq = self.queue(queue)
        target = self.queue(to) if to else None
        sources = [self.queue(url) for url in self.sqs.list_dead_letter_source_queues(
            QueueUrl=dlq.url).get("queueUrls", [])]
        waiting = int(self.sqs.get_queue_attributes(
            QueueUrl=dlq.url, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"]["ApproximateNumberOfMessages"])
        self.say(f"{dlq.name}: about {waiting} message(s) waiting; source queue(s): "
                 f"{', '.join(s.name for s in sources) or 'none (not an SQS redrive DLQ)'}")
        use_task = bool(sources) and max_messages is None
        if dry_run:
            return self._plan(dlq, target, sources, waiting, use_task)
        if use_task:
            try:
                return self._move_task(dlq, target)
            except (ClientError, BotoCoreError) as error:
                self.say(f"!! StartMessageMoveTask is not available on this endpoint "
                         f"({_error_code(error)}): FALLING BACK to the receive/send/delete "
                         f"loop")
        return self._loop(dlq, target, sources, max_messages)

    def queue(self, ref: str) -> Queue:
        """A queue from its name, URL or ARN."""
        if ref.startswith("arn:"):
            _, _, _, _, account, name = ref.split(":", 5)
            url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
                "QueueUrl"]
        elif "://" in ref:
            url = ref
        else:
            url = self.sqs.get_queue_url(QueueName=ref)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        return Queue(url, arn)

    # -- the two ways ---------------------------------------------------------------------

    def _plan(self, dlq: Queue, target: Queue | None, sources: list[Queue], waiting: int,
              use_task: bool) -> Summary:
        if use_task:
            where = target.name if target else "each message's source queue"
            self.say(f"dry run: would start StartMessageMoveTask {dlq.name} -> {where} "
                     f"(falling back to the receive/send/delete loop where unavailable)")
        else:
            where = target.name if target else "each message's own source (read per message)"
            self.say(f"dry run: would receive, send on to {where} and delete, one by one")
        summary = Summary(dlq.name, "dry run", dry_run=True)
        summary.moved[target.name if target else "source"] = waiting
        return summary

    def _move_task(self, dlq: Queue, target: Queue | None) -> Summary:
        request = {"SourceArn": dlq.arn, **({"DestinationArn": target.arn} if target else {})}
        handle = self.sqs.start_message_move_task(**request)["TaskHandle"]
        self.say(f"StartMessageMoveTask {handle} started")
        while True:
            tasks = self.sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=1)["Results"]
            task = tasks[0] if tasks else {"Status": "COMPLETED"}
            moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
            self.say(f"  {task['Status']}: {moved} of "
                     f"{task.get('ApproximateNumberOfMessagesToMove', '?')} moved")
            if task["Status"] in MOVE_TASK_DONE:
                summary = Summary(dlq.name, "StartMessageMoveTask")
                summary.moved[target.name if target else "source queue(s)"] = moved
                if task["Status"] != "COMPLETED":
                    self.say(f"!! task {task['Status']}: {task.get('FailureReason', '')}")
                    summary.failed = 1
                return summary
            time.sleep(MOVE_TASK_POLL_SECONDS)

    def _loop(self, dlq: Queue, target: Queue | None, sources: list[Queue],
              max_messages: int | None) -> Summary:
        summary = Summary(dlq.name, "receive/send/delete")
        # A message left in the queue stays hidden until the run ends, so it is taken once.
        left: list[str] = []
        while max_messages is None or sum(summary.moved.values()) < max_messages:
            wanted = RECEIVE_BATCH if max_messages is None else min(
                RECEIVE_BATCH, max_messages - sum(summary.moved.values()))
            batch = self.sqs.receive_message(
                QueueUrl=dlq.url, MaxNumberOfMessages=wanted, WaitTimeSeconds=1,
                VisibilityTimeout=VISIBILITY_SECONDS, MessageAttributeNames=["All"],
                AttributeNames=["All"]).get("Messages", [])
            if not batch:
                break
            for message in batch:
                if not self._one(dlq, message, self._destination(message, target, sources),
                                 summary):
                    left.append(message["ReceiptHandle"])
        for handle in left:  # visible again, for the next run
            self.sqs.change_message_visibility(QueueUrl=dlq.url, ReceiptHandle=handle,
                                               VisibilityTimeout=0)
        return summary

    def _one(self, dlq: Queue, message: dict[str, Any],
             destination: tuple[str, Callable[[], None]] | None, summary: Summary) -> bool:
        """Send one message on and delete it; False if it is left in the queue."""
        ident = message["MessageId"]
        if destination is None:
            self.say(f"  {ident}: SKIPPED, where it came from cannot be told (give --to)")
            summary.skipped += 1
            return False
        where, send = destination
        try:
            send()
        except (ClientError, BotoCoreError) as error:
            self.say(f"  {ident}: FAILED to send to {where} ({_error_code(error)}); left in "
                     f"{dlq.name}")
            summary.failed += 1
            return False
        self.sqs.delete_message(QueueUrl=dlq.url, ReceiptHandle=message["ReceiptHandle"])
        summary.moved[where] += 1
        self.say(f"  {ident} -> {where}")
        return True

    # -- where one message goes -------------------------------------------------------------

    def _destination(self, message: dict[str, Any], target: Queue | None,
                     sources: list[Queue]) -> tuple[str, Callable[[], None]] | None:
        body = message["Body"]
        if target is not None:
            return f"queue {target.name}", lambda: self._send(target.url, body)
        source_arn = message.get("Attributes", {}).get("DeadLetterQueueSourceArn")
        source = next((s for s in sources if s.arn == source_arn), None) or (
            sources[0] if len(sources) == 1 else None)
        if source is not None:
            return f"queue {source.name}", lambda: self._send(source.url, body)
        attributes = {name: value.get("StringValue", "") for name, value in
                      message.get("MessageAttributes", {}).items()}
        if "TARGET_ARN" in attributes:
            return self._to_event_target(attributes, body)
        record = _json(body)
        if isinstance(record, dict) and "requestPayload" in record:
            function = record.get("requestContext", {}).get("functionArn")
            if function:
                payload = json.dumps(record["requestPayload"])
                return (f"function {_function_name(function)} (asynchronous invoke)",
                        lambda: self._invoke_later(function, payload))
        return None

    def _to_event_target(self, attributes: dict[str, str],
                         body: str) -> tuple[str, Callable[[], None]] | None:
        target_arn, rule_arn = attributes["TARGET_ARN"], attributes.get("RULE_ARN", "")
        service = target_arn.split(":")[2] if target_arn.count(":") >= 5 else ""
        if service == "sqs":
            url = self.queue(target_arn).url
            return f"target queue {target_arn.rsplit(':', 1)[-1]}", lambda: self._send(url, body)
        if service == "lambda":
            return (f"target function {_function_name(target_arn)} (asynchronous invoke)",
                    lambda: self._invoke_later(target_arn, body))
        event = _json(body)
        if not (isinstance(event, dict) and "detail-type" in event and rule_arn):
            return None
        bus = _bus_of_rule(rule_arn)
        return f"bus {bus} (PutEvents again)", lambda: self._put_event(bus, event)

    # -- sending ----------------------------------------------------------------------------

    def _send(self, url: str, body: str) -> None:
        self.sqs.send_message(QueueUrl=url, MessageBody=body)

    def _invoke_later(self, function: str, payload: str) -> None:
        self.session.client("lambda").invoke(FunctionName=function, InvocationType="Event",
                                             Payload=payload.encode())

    def _put_event(self, bus: str, event: dict[str, Any]) -> None:
        response = self.session.client("events").put_events(Entries=[{
            "EventBusName": bus, "Source": event["source"], "DetailType": event["detail-type"],
            "Detail": json.dumps(event.get("detail", {})),
            **({"Resources": event["resources"]} if event.get("resources") else {})}])
        if response.get("FailedEntryCount"):
            entry = response["Entries"][0]
            raise ClientError({"Error": {"Code": entry.get("ErrorCode", "PutEventsFailed"),
                                         "Message": entry.get("ErrorMessage", "")}}, "PutEvents")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _function_name(arn: str) -> str:
    return arn.split(":")[6] if arn.count(":") >= 6 else arn


def _bus_of_rule(rule_arn: str) -> str:
    """`arn:...:rule/<bus>/<rule>` names its bus; `arn:...:rule/<rule>` is on the default bus."""
    path = rule_arn.split(":", 5)[-1].split("/")
    return path[1] if len(path) == 3 else "default"


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "error")
    return type(error).__name__
