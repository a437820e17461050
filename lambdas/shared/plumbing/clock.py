"""Timestamps as the tables store them."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime | None = None) -> str:
    """ISO-8601 in UTC with milliseconds and a `Z`, e.g. 2024-05-01T12:30:00.123Z.

    Fixed width, so strings sort in time order (the orders GSI relies on it)."""
    moment = (moment or utc_now()).astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
