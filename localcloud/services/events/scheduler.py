"""Scheduled EventBridge rules (`rate(...)` and `cron(...)`), fired in simulated time.

The timer fires ENABLED rules that have a `ScheduleExpression`, on every bus, in a simulated
clock that runs `cloud.time_scale` times faster than real time from `start()`: a
`rate(1 day)` rule fires every 86400 / time_scale real seconds, and a cron rule fires when the
simulated clock (UTC) reaches a matching minute. Occurrences missed while the clock ran ahead
are skipped, not replayed. A rate rule first fires one interval after it is first seen.

Each firing delivers AWS's "Scheduled Event" (`source` "aws.events", `resources` [rule ARN],
`detail` {}, `time` = the simulated occurrence) through the router's delivery code, so targets,
Input/InputPath/InputTransformer, retries and dead-letter queues behave as for PutEvents.

`fire(rule_name, input)` runs a rule now, whatever its state, for on-demand runs: `input` (a
dict) becomes the event's `detail` instead of {}, so a handler can be given e.g. a report date.

Cron expressions use AWS's six fields: minutes hours day-of-month month day-of-week year, with
`*`, `?`, lists, ranges, steps (`*/5`, `10/15`, `8-18/2`), month and weekday names
(JAN-DEC, SUN-SAT; day-of-week 1 = Sunday), and in day-of-month `L`, `LW` and `nW` (nearest
weekday), in day-of-week `L`, `nL` (last weekday n of the month) and `n#k` (k-th weekday n).
One of day-of-month and day-of-week must be `?`, as on AWS. Times are UTC.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from botocore.exceptions import ClientError

from .background import BackgroundLoop
from .events_router import EventsRouter, event_time
from .interfaces import Cloud

log = logging.getLogger("localcloud.scheduler")

REFRESH_SECONDS = 1.0  # how often (real time) rules are re-read from moto

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: number for number, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}
_WEEKDAYS = {name: number for number, name in enumerate(
    ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_LAST_YEAR = 2199


# -- schedule expressions ---------------------------------------------------------------------

@dataclass(frozen=True)
class RateSchedule:
    seconds: int

    def next_after(self, moment: datetime) -> datetime:
        return moment + timedelta(seconds=self.seconds)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The numbers a cron field allows: `*`, lists, ranges, steps and names."""
    def number(text: str) -> int:
        value = (names or {}).get(text.upper()) if not text.isdigit() else int(text)
        if value is None or not low <= value <= high:
            raise ValueError(f"{text!r} is not in {low}-{high}")
        return value

    result: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (number(text) for text in base.split("-", 1))
        else:
            first = number(base)
            last = high if step_text else first
        if first > last:
            raise ValueError(f"bad range {part!r}")
        result.update(range(first, last + 1, step))
    return result


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday=0 in Python; Sunday=1 in AWS cron


def _nearest_weekday(year: int, month: int, day_number: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if day_number > last:
        return None
    weekday = date(year, month, day_number).weekday()
    if weekday == 5:  # Saturday: the Friday before, or the Monday after the 1st
        return day_number - 1 if day_number > 1 else day_number + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before the last day
        return day_number + 1 if day_number < last else day_number - 2
    return day_number


class CronSchedule:
    """An AWS six-field cron expression (see the module docstring for what is supported)."""

    def __init__(self, fields: str):
        parts = fields.split()
        if len(parts) != 6:
            raise ValueError(f"cron needs 6 fields, got {len(parts)}: {fields!r}")
        minutes, hours, day_of_month, months, day_of_week, years = parts
        if (day_of_month == "?") == (day_of_week == "?"):
            raise ValueError("one of day-of-month and day-of-week must be '?'")
        self.minutes = sorted(_values(minutes, 0, 59))
        self.hours = sorted(_values(hours, 0, 23))
        self.months = _values(months, 1, 12, _MONTHS)
        self.years = _values(years, 1970, _LAST_YEAR)
        self._day_test = (self._weekday_test(day_of_week) if day_of_month == "?"
                          else self._month_day_test(day_of_month))

    @staticmethod
    def _month_day_test(field: str):
        if field == "L":
            return lambda day: day.day == calendar.monthrange(day.year, day.month)[1]
        if field == "LW":
            def last_weekday(day: date) -> bool:
                last = calendar.monthrange(day.year, day.month)[1]
                return day.day == _nearest_weekday(day.year, day.month, last)
            return last_weekday
        if field.endswith("W"):
            wanted = _values(field[:-1], 1, 31)
            if len(wanted) != 1:
                raise ValueError(f"bad day-of-month {field!r}")
            number = wanted.pop()
            return lambda day: day.day == _nearest_weekday(day.year, day.month, number)
        days = _values(field, 1, 31)
        return lambda day: day.day in days

    @staticmethod
    def _weekday_test(field: str):
        if "#" in field:
            weekday_text, _, nth_text = field.partition("#")
            weekday, nth = _values(weekday_text, 1, 7, _WEEKDAYS).pop(), int(nth_text)
            if not 1 <= nth <= 5:
                raise ValueError(f"bad day-of-week {field!r}")
            return lambda day: _aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
        if field == "L":
            field = "7"  # "L" alone is the last day of the week: Saturday
        elif field.endswith("L"):
            weekday = _values(field[:-1], 1, 7, _WEEKDAYS).pop()
            return lambda day: (_aws_weekday(day) == weekday and day.day + 7
                                > calendar.monthrange(day.year, day.month)[1])
        weekdays = _values(field, 1, 7, _WEEKDAYS)
        return lambda day: _aws_weekday(day) in weekdays

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after `moment` (UTC)."""
        start = moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
        start += timedelta(minutes=1)
        day = start.date()
        while day.year <= _LAST_YEAR:
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                continue
            if day.month not in self.months:
                day = (date(day.year + 1, 1, 1) if day.month == 12
                       else date(day.year, day.month + 1, 1))
                continue
            if self._day_test(day):
                earliest = (start.hour, start.minute) if day == start.date() else (0, 0)
                for hour in self.hours:
                    for minute in self.minutes:
                        if (hour, minute) >= earliest:
                            return datetime(day.year, day.month, day.day, hour, minute,
                                            tzinfo=timezone.utc)
            day += timedelta(days=1)
        raise ValueError("the cron expression never fires again")


def parse_schedule(expression: str) -> RateSchedule | CronSchedule:
    """Parse `rate(N unit)` or `cron(...)`; raises ValueError like PutRule would reject it."""
    expression = expression.strip()
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ValueError(f"{expression!r}: use a singular unit for 1, plural otherwise")
        return RateSchedule(value * _UNIT_SECONDS[unit.rstrip("s")])
    if expression.startswith("cron(") and expression.endswith(")"):
        return CronSchedule(expression[5:-1])
    raise ValueError(f"not a schedule expression: {expression!r}")


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
        # Deliver through the cloud's router when it has one: one dispatcher, one rule cache.
        shared = router or getattr(cloud, "events_router", None)
        self.router = shared or EventsRouter(cloud)
        self._owns_router = shared is None
        self._entries: dict[str, _Entry] = {}
        self._rejected: set[tuple[str, str]] = set()
        self._epoch_real = time.monotonic()
        self._epoch_simulated = datetime.now(timezone.utc)

    def now(self) -> datetime:
        """The simulated clock: real time since start(), times time_scale."""
        elapsed = (time.monotonic() - self._epoch_real) * (self.cloud.time_scale or 1.0)
        return self._epoch_simulated + timedelta(seconds=elapsed)

    def start(self) -> None:
        if not self._thread:  # the simulated clock starts with the timer
            self._epoch_real = time.monotonic()
            self._epoch_simulated = datetime.now(timezone.utc)
        super().start()

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
            "time": event_time(moment),
            "region": self.cloud.region,
            "resources": [rule["Arn"]],
            "detail": detail,
        }

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        next_refresh = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_refresh:
                    self._refresh()
                    next_refresh = time.monotonic() + REFRESH_SECONDS
                self._fire_due()
            except Exception:  # keep the timer alive
                log.exception("scheduler error")
            self._stop.wait(self._sleep_seconds(next_refresh))

    def _sleep_seconds(self, next_refresh: float) -> float:
        wait = next_refresh - time.monotonic()
        if self._entries:
            now = self.now()
            earliest = min(entry.due for entry in self._entries.values())
            wait = min(wait, (earliest - now).total_seconds() / (self.cloud.time_scale or 1.0))
        return max(0.005, wait)

    def _refresh(self) -> None:
        """Re-read scheduled rules on every bus: add new ones, drop deleted or disabled ones,
        reschedule changed ones."""
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
        names, token = [], None
        events = self.router.events_client()
        while True:
            page = events.list_event_buses(**({"NextToken": token} if token else {}))
            names.extend(bus["Name"] for bus in page.get("EventBuses", []))
            token = page.get("NextToken")
            if not token:
                return names

    def _fire_due(self) -> None:
        now = self.now()
        for entry in list(self._entries.values()):
            if entry.due > now:
                continue
            self.router.dispatch(entry.rule, self.scheduled_event(entry.rule, entry.due, {}))
            entry.due = entry.schedule.next_after(entry.due)
            if entry.due <= now:  # fell behind by more than one occurrence: skip the rest
                entry.due = entry.schedule.next_after(now)
