"""The manual clock and its advance: occurrences fire at their own simulated instants, in
order, and an advance returns only once what they started has settled."""

from __future__ import annotations

import threading
import time

import pytest

from localcloud.app.advance import Advancer, NotSettled, parse_duration
from localcloud.core.clock import Clock
from localcloud.core.retry_queue import RetryQueue

START = 1_700_000_000.0


@pytest.fixture
def clock():
    return Clock(mode="manual", start=START)


def queue_and_advancer(clock, work, **options):
    queue = RetryQueue("test", work, clock, workers=2)
    return queue, Advancer(clock, timers={"retry": queue}, activities={}, **options)


def test_manual_time_stands_still_until_advanced(clock):
    ran = []
    queue, advancer = queue_and_advancer(clock, lambda item: ran.append(item))
    queue.put("later", clock.due_in(60))
    assert clock.now() == START
    assert advancer.advance(59)["fired"] == {}
    assert ran == [] and clock.now() == START + 59
    result = advancer.advance(1)
    assert ran == ["later"] and result["fired"] == {"retry": 1}
    queue.stop()


def test_items_fire_in_order_each_at_its_own_instant_and_the_advance_waits_for_them(clock):
    seen = []

    def work(item):
        time.sleep(0.1)  # still running when the next instant would come: the advance waits
        seen.append((item, clock.now() - START))

    queue, advancer = queue_and_advancer(clock, work)
    for item, delay in (("b", 120), ("c", 3600), ("a", 60)):
        queue.put(item, clock.due_in(delay))
    result = advancer.advance(parse_duration("2h"))
    assert seen == [("a", 60), ("b", 120), ("c", 3600)]
    assert result["fired"] == {"retry": 3} and result["steps"] == 3
    assert result["epoch"] == START + 7200 and not queue.busy()
    queue.stop()


def test_work_queued_by_a_firing_inside_the_advance_fires_in_the_same_advance(clock):
    """A retry chain: each failure queues the next attempt 1 then 2 minutes later."""
    attempts = []
    queue = None

    def attempt(number):
        attempts.append((number, clock.now() - START))
        if number < 3:
            queue.put(number + 1, clock.due_in(60 * number))

    queue, advancer = queue_and_advancer(clock, attempt)
    queue.put(1)
    result = advancer.advance("3m")
    assert attempts == [(1, 0), (2, 60), (3, 180)]
    assert result["fired"] == {"retry": 2}
    queue.stop()


def test_an_activity_keeps_the_advance_from_returning_until_it_is_idle(clock):
    running = threading.Event()
    running.set()

    class Activity:
        def busy(self):
            return running.is_set()

    advancer = Advancer(clock, timers={}, activities={"work": Activity()})
    threading.Timer(0.2, running.clear).start()
    advancer.advance(1)
    assert not running.is_set()


def test_a_cloud_that_never_settles_fails_the_advance_naming_the_busy_part(clock):
    class Stuck:
        def busy(self):
            return True

    advancer = Advancer(clock, timers={}, activities={"stuck-part": Stuck()},
                        settle_timeout=0.1)
    with pytest.raises(NotSettled, match="stuck-part"):
        advancer.advance(1)


def test_a_scaled_clock_cannot_be_advanced():
    clock = Clock(60)
    with pytest.raises(RuntimeError):
        clock.set(clock.now() + 10)
    with pytest.raises(RuntimeError, match="--clock manual"):
        Advancer(clock, timers={}, activities={}).advance(10)


@pytest.mark.parametrize("text, seconds", [("90", 90), (90, 90), ("90s", 90), ("15m", 900),
                                           ("2h", 7200), ("1.5d", 129600)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2 weeks", "-1", "h"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
