"""EventBridge PutEvents, answered by the local cloud instead of moto.

moto's own PutEvents delivers only to SQS, Logs and other buses, stops at the first SNS, Lambda
or Step Functions target, delivers for DISABLED rules and ignores retry policies; so the gateway
never forwards PutEvents to moto. Here each entry becomes an AWS event envelope, is matched
against the ENABLED rules of its bus (rules and targets read from moto) and is handed to
`TargetDispatcher` for delivery.

Rules and targets are read afresh for each event by default (about 5 ms per ListRules call):
rule changes reach moto through the gateway, which the router does not see. With `rules_ttl`
> 0 they are cached that many seconds; then call `invalidate()` on every EventBridge write.

Matching uses moto's own `EventPattern` class, which also answers TestEventPattern here (moto
5.2.5's own returns an empty response: not implemented); the class is right for numeric ranges, prefix, suffix,
anything-but, exists, wildcard and `$or`. Matching in process costs about 5 µs per rule; a
call to moto costs about 5 ms.

`recent` keeps the last events routed (when, bus, event, matched rules) for the console's order
timeline: nothing else keeps an event once delivered.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

from botocore.exceptions import ClientError
from moto.events.exceptions import InvalidEventPatternException
from moto.events.models import EventPattern

from localcloud.core.delivery import DeliveryFailure
from localcloud.core.http import GatewayRequest, HttpResponse, Route, RouteTable, json_response
from localcloud.core.pagination import all_items
from localcloud.core.ports import Cloud

from .targets import DeliveryResult, TargetDispatcher

log = logging.getLogger("localcloud.events_router")

MAX_ENTRIES = 10
# The fields TestEventPattern requires of its event, as AWS documents them.
TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")
MAX_BUS_HOPS = 5  # bus → bus chains; AWS detects loops too
RECENT_EVENTS = 500  # events remembered for the console


class PutEventsError(Exception):
    """A request-level PutEvents error: HTTP 400 with `{"__type": code, "message": message}`."""

    status = 400

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


class _EntryError(PutEventsError):
    """An error of one entry: reported in its place in the response, the others go on."""


@functools.lru_cache(maxsize=512)
def _pattern(raw: str) -> EventPattern:
    return EventPattern.load(raw)


def matches(pattern: str, event: dict) -> bool:
    """Whether an event matches an EventBridge pattern (JSON text)."""
    return _pattern(pattern).matches_event(event)


def test_event_pattern(pattern: Any, event_text: Any) -> bool:
    """TestEventPattern: whether `event_text` (an event as JSON, with AWS's mandatory fields)
    matches `pattern`; a bad pattern or event is a PutEventsError, as AWS answers 400."""
    if not isinstance(pattern, str) or not isinstance(event_text, str):
        raise PutEventsError("ValidationException", "EventPattern and Event are required strings")
    try:
        event = json.loads(event_text)
    except ValueError:
        raise PutEventsError("InvalidEventPatternException", "Event is not valid JSON") from None
    if not isinstance(event, dict):
        raise PutEventsError("InvalidEventPatternException", "Event must be a JSON object")
    missing = [name for name in TEST_EVENT_FIELDS if name not in event]
    if missing:
        raise PutEventsError("InvalidEventPatternException",
                             f"Event is missing the mandatory field(s): {', '.join(missing)}")
    try:
        return matches(pattern, event)
    except InvalidEventPatternException as error:
        raise PutEventsError("InvalidEventPatternException", error.message) from None


def bus_name(name_or_arn: str | None) -> str:
    if not name_or_arn:
        return "default"
    return name_or_arn.split(":event-bus/")[-1] if name_or_arn.startswith("arn:") else name_or_arn


def event_time(value: Any, now: float) -> str:
    """An event's `time` field: ISO 8601 in UTC to the second, like AWS; `value` (an entry's
    Time) when it is one, else `now` (the simulated clock)."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value).astimezone(timezone.utc)
        except ValueError:
            pass
    elif isinstance(value, datetime):
        moment = value.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class EventsRouter:
    """Answers PutEvents: builds envelopes, matches rules, dispatches to targets."""

    def __init__(self, cloud: Cloud, *, rules_ttl: float = 0.0):
        self.cloud = cloud
        self.rules_ttl = rules_ttl
        self.dispatcher = TargetDispatcher(cloud, route_to_bus=self._route_to_bus)
        self._events_client: Any = None
        self._rules: dict[str, tuple[float, list[dict]]] = {}
        self._targets: dict[str, tuple[float, list[dict]]] = {}
        self._lock = threading.Lock()
        # The last events routed, newest last, for the console (nothing else keeps them).
        self.recent: deque[dict] = deque(maxlen=RECENT_EVENTS)

    # -- the API ------------------------------------------------------------------------------

    def put_events(self, body: dict) -> dict:
        """The PutEvents JSON response for a PutEvents JSON request body."""
        entries = body.get("Entries")
        if not isinstance(entries, list) or not entries:
            raise PutEventsError("ValidationException",
                                 "1 validation error detected: Value null at 'entries' failed "
                                 "to satisfy constraint: Member must not be null")
        if len(entries) > MAX_ENTRIES:
            raise PutEventsError("ValidationException",
                                 "1 validation error detected: Value at 'entries' failed to "
                                 "satisfy constraint: Member must have length less than or "
                                 f"equal to {MAX_ENTRIES}")
        results = []
        for entry in entries:
            try:
                event = self.envelope(entry)
                self.route(event, entry.get("EventBusName"))
                results.append({"EventId": event["id"]})
            except _EntryError as error:
                results.append({"ErrorCode": error.code, "ErrorMessage": error.message})
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {"FailedEntryCount": failed, "Entries": results}

    def envelope(self, entry: dict) -> dict:
        """The event AWS builds from one PutEvents entry."""
        for name in ("Source", "DetailType", "Detail"):
            if not entry.get(name):
                raise _EntryError("InvalidArgument", f"Parameter {name} is not valid. "
                                                     f"Reason: {name} is a required argument.")
        try:
            detail = json.loads(entry["Detail"])
        except (TypeError, ValueError):
            detail = None
        if not isinstance(detail, dict):
            raise _EntryError("MalformedDetail", "Detail is malformed.")
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": self.cloud.account_id,
            "time": event_time(entry.get("Time"), self.cloud.clock.now()),
            "region": self.cloud.region,
            "resources": list(entry.get("Resources") or []),
            "detail": detail,
        }

    def route(self, event: dict, bus: str | None = None, hops: int = 0) -> list[str]:
        """Queue delivery of an event to the targets of every matching ENABLED rule of a bus;
        returns the ARNs of the matched rules."""
        try:
            rules = self.rules(bus)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise _EntryError("ResourceNotFoundException",
                                  f"Event bus {bus_name(bus)} does not exist.") from error
            raise
        matched = []
        for rule in rules:
            if not rule.get("State", "").startswith("ENABLED") or not rule.get("EventPattern"):
                continue
            if matches(rule["EventPattern"], event):
                matched.append(rule["Arn"])
                self.dispatch(rule, event, hops=hops)
        self.recent.append({"at": time.time(), "bus": bus_name(bus), "event": event,
                            "rules": matched})
        return matched

    def dispatch(self, rule: dict, event: dict, *, now: bool = False,
                 hops: int = 0) -> list[DeliveryResult]:
        """Deliver one event to every target of one rule (also used by the scheduler).

        Queued by default; with `now=True` the first attempt is made before returning and its
        results are returned. Failures are retried per target either way."""
        results = []
        for target in self.targets(rule):
            if now:
                results.append(self.dispatcher.deliver(rule["Arn"], target, event, hops))
            else:
                self.dispatcher.submit(rule["Arn"], target, event, hops)
        return results

    # -- rules and targets, cached briefly ----------------------------------------------------

    def rules(self, bus: str | None = None) -> list[dict]:
        """The rules of a bus (name or ARN) as `ListRules` returns them."""
        name = bus_name(bus)
        return self._cached(self._rules, name, lambda: all_items(
            self.events_client(), "list_rules", "Rules", EventBusName=name))

    def targets(self, rule: dict) -> list[dict]:
        """The targets of a rule as `ListTargetsByRule` returns them."""
        return self._cached(self._targets, rule["Arn"], lambda: all_items(
            self.events_client(), "list_targets_by_rule", "Targets", Rule=rule["Name"],
            EventBusName=rule.get("EventBusName") or "default"))

    def _cached(self, cache: dict[str, tuple[float, list[dict]]], key: str,
                load: Callable[[], list[dict]]) -> list[dict]:
        with self._lock:
            cached = cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        items = load()
        with self._lock:
            cache[key] = (time.monotonic() + self.rules_ttl, items)
        return items

    def invalidate(self) -> None:
        """Forget cached rules and targets (call after any EventBridge rule or target change)."""
        with self._lock:
            self._rules.clear()
            self._targets.clear()

    # -- the gateway's route -----------------------------------------------------------------

    def routes(self) -> RouteTable:
        """PutEvents and TestEventPattern are answered here, never by moto."""
        return RouteTable(routes=[
            Route("events:PutEvents", self._handle_put_events, target="AWSEvents.PutEvents"),
            Route("events:TestEventPattern", self._handle_test_event_pattern,
                  target="AWSEvents.TestEventPattern"),
        ])

    def _handle_test_event_pattern(self, request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        try:
            body = json.loads(request.body or b"{}")
            result = test_event_pattern(body.get("EventPattern"), body.get("Event"))
        except PutEventsError as error:
            return json_response(error.status, error.to_json())
        except ValueError:
            return json_response(400, PutEventsError("SerializationException", "the request is not JSON").to_json())
        return json_response(200, {"Result": result}, [("Content-Type", "application/x-amz-json-1.1")])

    def _handle_put_events(self, request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        try:
            response = self.put_events(json.loads(request.body or b"{}"))
        except PutEventsError as error:  # request-level: no entries, more than 10...
            return json_response(error.status, error.to_json())
        return json_response(200, response, [("Content-Type", "application/x-amz-json-1.1")])

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Nothing to start: deliveries start their workers with the first event."""

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every delivery due now has been attempted."""
        return self.dispatcher.flush(timeout)

    def stop(self) -> None:
        self.dispatcher.stop()

    def events_client(self) -> Any:
        """The boto3 EventBridge client (to moto) the router reads rules with."""
        if self._events_client is None:
            self._events_client = self.cloud.aws("events")
        return self._events_client

    # -- internals ----------------------------------------------------------------------------

    def _route_to_bus(self, event: dict, bus_arn: str, hops: int) -> None:
        if hops > MAX_BUS_HOPS:
            raise DeliveryFailure("THIRD_ACCOUNT_HOP_DETECTED",
                                  f"event {event['id']} crossed more than {MAX_BUS_HOPS} buses",
                                  retryable=False)
        try:
            self.route(event, bus_arn, hops)
        except _EntryError as error:
            raise DeliveryFailure("NO_RESOURCE", error.message, retryable=False) from error
