"""EventBridge schedule expressions: `rate(N unit)` and AWS's six-field `cron(...)`, in UTC.

Cron fields: minutes hours day-of-month month day-of-week year, with `*`, `?`, lists, ranges,
steps (`*/5`, `10/15`, `8-18/2`), month and weekday names (JAN-DEC, SUN-SAT; day-of-week
1 = Sunday), and in day-of-month `L`, `LW` and `nW` (nearest weekday), in day-of-week `L`, `nL`
(last weekday n of the month) and `n#k` (k-th weekday n). One of day-of-month and day-of-week
must be `?`, as on AWS.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

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
