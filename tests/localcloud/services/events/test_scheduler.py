"""Scheduler: rate and cron rules fired in simulated time, and on-demand runs."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest

from localcloud.services.events.router import EventsRouter
from localcloud.services.events.scheduler import Scheduler
from localcloud.services.events.schedules import CronSchedule, RateSchedule, parse_schedule
from tests.localcloud.triggers_support import (  # noqa: F401  (moto_url is a fixture)
    TestCloud,
    drain,
    function_arn,
    make_queue,
    moto_url,
    unique,
    wait_until,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("expression, after, expected", [
    ("cron(0 12 * * ? *)", "2024-01-01T13:00", "2024-01-02T12:00"),
    ("cron(0 12 * * ? *)", "2024-01-01T11:59:30", "2024-01-01T12:00"),
    ("cron(0/15 * * * ? *)", "2024-01-01T10:07", "2024-01-01T10:15"),
    ("cron(5,35 8-9 * * ? *)", "2024-01-01T09:35", "2024-01-02T08:05"),
    ("cron(0 18 ? * MON-FRI *)", "2024-01-05T19:00", "2024-01-08T18:00"),  # Fri → Mon
    ("cron(0 8 1 * ? *)", "2024-01-15T00:00", "2024-02-01T08:00"),
    ("cron(0 10 L * ? *)", "2024-02-03T00:00", "2024-02-29T10:00"),  # leap year
    ("cron(30 9 15W * ? *)", "2024-06-01T00:00", "2024-06-14T09:30"),  # 15th is a Saturday
    ("cron(0 9 ? * 6#3 *)", "2024-01-01T00:00", "2024-01-19T09:00"),  # third Friday
    ("cron(0 9 ? * 2L *)", "2024-01-01T00:00", "2024-01-29T09:00"),  # last Monday
    ("cron(0 0 1 JAN ? 2030)", "2024-01-01T00:00", "2030-01-01T00:00"),
])
def test_cron_next_fire_times(expression, after, expected):
    assert parse_schedule(expression).next_after(utc(after)) == utc(expected)


@pytest.mark.parametrize("expression, seconds", [
    ("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600),
    ("rate(2 days)", 172800)])
def test_rate_expressions(expression, seconds):
    assert parse_schedule(expression) == RateSchedule(seconds)


@pytest.mark.parametrize("expression", [
    "rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(1 week)",
    "cron(0 12 * * * *)",  # day-of-month and day-of-week both set
    "cron(0 12 * * ?)",  # five fields
    "cron(61 12 * * ? *)", "cron(0 12 ? * FUNDAY *)", "every day"])
def test_invalid_expressions_are_rejected(expression):
    with pytest.raises(ValueError):
        parse_schedule(expression)


def test_cron_schedule_is_utc_and_strictly_after():
    schedule = CronSchedule("0 12 * * ? *")
    assert schedule.next_after(utc("2024-01-01T12:00")) == utc("2024-01-02T12:00")


@pytest.fixture
def cloud(moto_url):
    return TestCloud(moto_url, time_scale=300)


@pytest.fixture
def rules(cloud):
    """Creates scheduled rules on the default bus; deletes them after the test."""
    events, created = cloud.aws("events"), []

    def create(expression, targets, *, state="ENABLED"):
        name = unique("schedule")
        arn = events.put_rule(Name=name, ScheduleExpression=expression, State=state)["RuleArn"]
        events.put_targets(Rule=name, Targets=targets)
        created.append((name, [target["Id"] for target in targets]))
        return name, arn

    yield create
    for name, ids in created:
        events.remove_targets(Rule=name, Ids=ids)
        events.delete_rule(Name=name)


@pytest.fixture
def scheduler(cloud):
    router = EventsRouter(cloud, rules_ttl=0)
    scheduler = Scheduler(cloud, router)
    yield scheduler
    started = time.monotonic()
    scheduler.stop()
    router.stop()
    assert time.monotonic() - started < 2  # stop() joins promptly


def test_rate_rule_fires_at_the_scaled_interval(cloud, rules, scheduler):
    fn = unique("every-minute")
    _, rule_arn = rules("rate(1 minute)", [{"Id": "fn", "Arn": function_arn(fn)}])

    scheduler.start()  # time_scale 300: one simulated minute every 0.2 s
    wait_until(lambda: len(cloud.calls(function_arn(fn))) >= 5, timeout=5)
    scheduler.stop()

    calls = cloud.calls(function_arn(fn))
    events = [call.payload for call in calls]
    # The events carry the simulated occurrence: one minute apart, whatever the machine's load.
    times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in events]
    assert {(b - a).total_seconds() for a, b in zip(times, times[1:])} == {60.0}
    assert all(call.invocation_type == "Event" for call in calls)
    assert {event["detail-type"] for event in events} == {"Scheduled Event"}
    assert {event["source"] for event in events} == {"aws.events"}
    assert all(event["resources"] == [rule_arn] and event["detail"] == {} for event in events)
    times = [datetime.fromisoformat(event["time"]) for event in events]
    # Event times are the simulated occurrences: exactly one simulated minute apart.
    assert {(later - earlier).total_seconds() for earlier, later in zip(times, times[1:])} == {60}


def test_disabled_rule_is_not_timed(cloud, rules, scheduler):
    disabled, enabled = unique("disabled"), unique("enabled")
    rules("rate(1 minute)", [{"Id": "fn", "Arn": function_arn(disabled)}], state="DISABLED")
    rules("rate(1 minute)", [{"Id": "fn", "Arn": function_arn(enabled)}])

    scheduler.start()
    wait_until(lambda: len(cloud.calls(function_arn(enabled))) >= 3, timeout=5)

    assert cloud.calls(function_arn(disabled)) == []


def test_fire_now_delivers_with_input_as_detail(cloud, rules, scheduler):
    sqs = cloud.aws("sqs")
    url, queue_arn = make_queue(sqs, unique("reports"))
    fn = unique("daily-report")
    name, rule_arn = rules("cron(0 2 * * ? *)", [
        {"Id": "fn", "Arn": function_arn(fn)},
        {"Id": "queue", "Arn": queue_arn, "InputPath": "$.detail"}], state="DISABLED")

    result = scheduler.fire(name, {"reportDate": "2024-01-01"})

    assert result["RuleArn"] == rule_arn
    assert result["Event"]["detail"] == {"reportDate": "2024-01-01"}
    assert result["Event"]["detail-type"] == "Scheduled Event"
    assert {target["Id"]: target["Delivered"] for target in result["Targets"]} == {
        "fn": True, "queue": True}
    [call] = cloud.calls(function_arn(fn))
    assert call.payload == result["Event"]
    [message] = drain(sqs, url, 1)
    assert json.loads(message["Body"]) == {"reportDate": "2024-01-01"}


def test_fire_unknown_rule_raises_key_error(scheduler):
    with pytest.raises(KeyError):
        scheduler.fire(unique("no-such-rule"))
