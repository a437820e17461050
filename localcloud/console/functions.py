"""The functions page: each function's configuration and counters, and its log tail."""

from __future__ import annotations

from typing import Any

from localcloud.core.pagination import all_items

from .source import Missing, Source

TAIL_LINES = 200


def functions(source: Source) -> list[dict[str, Any]]:
    stats = source.function_stats()
    empty = {"invocations": 0, "errors": 0, "cold_starts": 0, "throttles": 0, "in_flight": 0}
    return [{"spec": spec, "stats": stats.get(name, empty)}
            for name, spec in sorted(source.registry.functions.items())]


def log_tail(source: Source, name: str, after_ms: int = 0) -> dict[str, Any]:
    """The function's log events at or after `after_ms` (the last TAIL_LINES of them), and
    the timestamp to ask from next time (events of that millisecond come again: the page
    skips the event ids it has shown)."""
    spec = source.registry.function(name)
    if spec is None:
        raise Missing(name)
    logs = source.aws("logs")
    try:
        found = all_items(logs, "filter_log_events", "events", logGroupName=spec.log_group,
                          startTime=after_ms)
    except logs.exceptions.ResourceNotFoundException:
        found = []  # no invocation has logged yet
    events = [{"id": e["eventId"], "timestamp": e["timestamp"],
               "stream": e.get("logStreamName", ""), "message": e["message"]} for e in found]
    ordered = sorted(events, key=lambda e: e["timestamp"])[-TAIL_LINES:]
    return {"function": name, "log_group": spec.log_group, "events": ordered,
            "next": ordered[-1]["timestamp"] if ordered else after_ms}
