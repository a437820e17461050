"""Scheduled EventBridge rules (`rate(...)` and `cron(...)`), fired in simulated time.

The timer fires ENABLED rules that have a `ScheduleExpression`, on every bus, on the cloud's
simulated clock (`core/clock.py`). Scaled: a `rate(1 day)` rule fires every 86400 / time_scale
real seconds, and a cron rule fires when the simulated clock (UTC) reaches a matching minute;
occurrences missed while the clock ran ahead are skipped, not replayed. Manual: nothing fires
until the clock is advanced, and an advance fires every occurrence inside it, each at its own
instant (`next_due` / `fire_due`). A rate rule first fires one interval after it is first seen.

Each firing delivers AWS's "Scheduled Event" (`source` "aws.events", `resources` [rule ARN],
`detail` {}, `time` = the simulated occurrence) through the router's delivery code, so targets,
Input/InputPath/InputTransformer, retries and dead-letter queues behave as for PutEvents.

`fire(rule_name, input)` runs a rule now, whatever its state, for on-demand runs: `input` (a
dict) becomes the event's `detail` instead of {}, so a handler can be given e.g. a report date.

Schedule expressions (`rate`, six-field `cron`, UTC) are parsed by `schedules.py`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from localcloud.core.background import BackgroundLoop
from localcloud.core.pagination import all_items
from localcloud.core.ports import Cloud

from .router import EventsRouter, event_time
from .schedules import CronSchedule, RateSchedule, parse_schedule

log = logging.getLogger("localcloud.scheduler")

REFRESH_SECONDS = 1.0  # how often (real time) rules are re-read from moto

# -- the timer --------------------------------------------------------------------------------

@dataclass
class _Entry:
    rule: dict
    expression: str
    schedule: RateSchedule | CronSchedule
    due: datetime  # simulated time of the next occurrence


class Scheduler(BackgroundLoop):
    """Fires scheduled rules in simulated time; `fire` runs one on demand."""

    thread_name = "scheduler"

    def __init__(self, cloud: Cloud, router: EventsRouter | None = None):
        super().__init__()
        self.cloud = cloud
        # Deliver through the cloud's router when given: one dispatcher, one rule cache.
        self.router = router or EventsRouter(cloud)
        self._owns_router = router is None
        self._entries: dict[str, _Entry] = {}
        self._rejected: set[tuple[str, str]] = set()
        self._lock = threading.RLock()  # the loop and an advance both refresh and fire
        self._refreshed = 0.0

    def now(self) -> datetime:
        """The simulated clock."""
        return self.cloud.clock.datetime()

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        if self._owns_router:
            self.router.stop()

    def fire(self, rule_name: str, input: dict | None = None, *,  # noqa: A002 (API name)
             event_bus_name: str = "default") -> dict:
        """Deliver the rule's Scheduled Event now (`input` as its detail); returns the event
        and, per target, the payload sent and whether the first attempt succeeded. Raises
        KeyError for an unknown rule."""
        try:
            rule = self.router.events_client().describe_rule(Name=rule_name,
                                                             EventBusName=event_bus_name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise KeyError(rule_name) from error
            raise
        rule.pop("ResponseMetadata", None)
        rule.setdefault("EventBusName", event_bus_name)
        event = self.scheduled_event(rule, self.now(), input or {})
        results = self.router.dispatch(rule, event, now=True)
        return {"RuleArn": rule["Arn"], "Event": event,
                "Targets": [result.to_dict() for result in results]}

    def scheduled_event(self, rule: dict, moment: datetime, detail: dict) -> dict:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.cloud.account_id,
            "time": event_time(None, moment.timestamp()),
            "region": self.cloud.region,
            "resources": [rule["Arn"]],
            "detail": detail,
        }

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    if time.monotonic() >= self._refreshed + REFRESH_SECONDS:
                        self._refresh()
                    if not self.cloud.clock.manual:  # manual: the advance fires
                        self._fire_due(self.now())
            except Exception:  # keep the timer alive
                log.exception("scheduler error")
            self._stop.wait(self._sleep_seconds())

    def _sleep_seconds(self) -> float:
        wait = self._refreshed + REFRESH_SECONDS - time.monotonic()
        earliest = self.next_due(refresh=False)
        if earliest is not None and not self.cloud.clock.manual:
            wait = min(wait, self.cloud.clock.wait_seconds(earliest) or 0.0)
        return max(0.005, wait)

    # -- the manual clock's hooks (app/advance.py) -------------------------------------------

    def next_due(self, *, refresh: bool = True) -> float | None:
        """The simulated instant of the next occurrence of any rule (rules re-read first,
        at most every REFRESH_SECONDS / 10: a rule put just before an advance counts)."""
        with self._lock:
            if refresh and time.monotonic() >= self._refreshed + REFRESH_SECONDS / 10:
                self._refresh()
            return min((entry.due.timestamp() for entry in self._entries.values()),
                       default=None)

    def fire_due(self, now: float) -> int:
        with self._lock:
            return self._fire_due(datetime.fromtimestamp(now, timezone.utc))

    def _refresh(self) -> None:
        """Re-read scheduled rules on every bus: add new ones, drop deleted or disabled ones,
        reschedule changed ones."""
        self._refreshed = time.monotonic()
        seen = {}
        for bus in self._bus_names():
            for rule in self.router.rules(bus):
                if rule.get("ScheduleExpression") and rule.get("State", "").startswith("ENABLED"):
                    rule.setdefault("EventBusName", bus)
                    seen[rule["Arn"]] = rule
        now = self.now()
        for arn in list(self._entries):
            if arn not in seen:
                del self._entries[arn]
        for arn, rule in seen.items():
            expression = rule["ScheduleExpression"]
            entry = self._entries.get(arn)
            if entry and entry.expression == expression:
                entry.rule = rule
                continue
            try:
                schedule = parse_schedule(expression)
            except ValueError as error:
                if (arn, expression) not in self._rejected:
                    self._rejected.add((arn, expression))
                    log.warning("rule %s: %s (not scheduled)", arn, error)
                continue
            self._entries[arn] = _Entry(rule, expression, schedule, schedule.next_after(now))

    def _bus_names(self) -> list[str]:
        buses = all_items(self.router.events_client(), "list_event_buses", "EventBuses")
        return [bus["Name"] for bus in buses]

    def _fire_due(self, now: datetime) -> int:
        """Fire the occurrences due at `now`; returns how many fired."""
        fired = 0
        for entry in list(self._entries.values()):
            if entry.due > now:
                continue
            self.router.dispatch(entry.rule, self.scheduled_event(entry.rule, entry.due, {}))
            fired += 1
            entry.due = entry.schedule.next_after(entry.due)
            if entry.due <= now:  # fell behind by more than one occurrence: skip the rest
                entry.due = entry.schedule.next_after(now)
        return fired
