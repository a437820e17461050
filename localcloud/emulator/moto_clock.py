"""moto's SQS on the local cloud's manual clock.

moto runs in its own process, on its own time: SQS visibility timeouts, delays, SentTimestamp
and ApproximateFirstReceiveTimestamp come from `unix_time_millis` and `unix_time` as
`moto.sqs.models` imported them. In the moto server process `install()` replaces those two
names there and `middleware` serves `PATH`:

- `POST {"now": EPOCH}` sets SQS's time to that simulated instant (frozen until the next POST),
  wakes waiting receives and answers how many messages it made visible (visibility timeout or
  delay ended);
- `GET` answers the instant the next message becomes visible (`next_due`), or null.

Millisecond time (every message timing) is frozen at the set instant. Second time also moves
with real time since the last set: moto's long polls end by it (frozen, a receive would wait
forever), and it dates queue attributes and the retention check (off by at most the real time
since the last advance). Until the first POST (a scaled clock never sends one) moto keeps the
real time.

`MotoClock` is the local cloud's side: a timer of the advance (`app/advance.py`).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from .json_endpoint import call_json, json_endpoint

PATH = "/_localcloud/moto-clock"

_lock = threading.Lock()
_frozen: float | None = None  # the simulated instant (epoch seconds), None: real time
_set_at = 0.0  # time.monotonic() of the last set


def install() -> None:
    """Put moto's SQS on this module's time (call once, in the moto server process)."""
    import moto.sqs.models as sqs

    real_seconds, real_millis = sqs.unix_time, sqs.unix_time_millis

    def unix_time(dt: Any = None) -> float:
        if dt is not None or _frozen is None:
            return real_seconds(dt)
        return _frozen + (time.monotonic() - _set_at)

    def unix_time_millis(dt: Any = None) -> float:
        if dt is not None or _frozen is None:
            return real_millis(dt)
        return _frozen * 1000.0

    sqs.unix_time, sqs.unix_time_millis = unix_time, unix_time_millis


def _queues() -> list[Any]:
    from moto.sqs.models import sqs_backends

    queues = []
    for account_id in list(sqs_backends):
        account = sqs_backends[account_id]
        for region in list(account):
            queues.extend(list(account[region].queues.values()))
    return queues


def _release_times(queue: Any) -> list[float]:
    """When each waiting message of a queue becomes visible (epoch milliseconds): moto shows
    a message once the time is past `visible_at` and at or past `delayed_until`."""
    return [max(message.visible_at + 1, message.delayed_until)
            for message in list(queue._messages)]


def next_due() -> float | None:
    now = (_frozen if _frozen is not None else time.time()) * 1000.0
    due = [when for queue in _queues() for when in _release_times(queue) if when > now]
    return min(due) / 1000.0 if due else None


def set_time(moment: float) -> int:
    """Freeze SQS's time at `moment`; returns how many messages that made visible."""
    global _frozen, _set_at
    with _lock:
        before = (_frozen if _frozen is not None else time.time()) * 1000.0
        _frozen, _set_at = max(moment, _frozen or 0.0), time.monotonic()
        after = _frozen * 1000.0
    released = 0
    for queue in _queues():
        released += sum(1 for when in _release_times(queue) if before < when <= after)
        with queue._messages_lock:  # a long poll waiting on the queue looks again now
            queue._messages_lock.notify_all()
    return released


def middleware(app: Callable) -> Callable:
    """The WSGI app with PATH in front of it."""
    return json_endpoint(app, PATH, get=lambda: {"next_due": next_due(), "now": _frozen},
                         post=lambda body: {"released": set_time(float(body["now"]))})


class MotoClock:
    """moto's SQS time as a timer of the manual clock's advance."""

    def __init__(self, moto_url: str):
        self.url = moto_url + PATH

    def _call(self, body: dict | None = None) -> dict:
        return call_json(self.url, body, timeout=10)

    def set(self, moment: float) -> int:
        return self._call({"now": moment})["released"]

    def next_due(self) -> float | None:
        return self._call()["next_due"]

    def fire_due(self, now: float) -> int:
        return self.set(now)
