"""The alarms page: every metric alarm with its state, and one alarm's history."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.core.pagination import all_items

from .source import Missing, Source


def alarms(source: Source) -> list[dict[str, Any]]:
    found = all_items(source.aws("cloudwatch"), "describe_alarms", "MetricAlarms")
    # Alarms in ALARM first: what needs a look.
    return sorted(found, key=lambda a: (a["StateValue"] != "ALARM", a["AlarmName"]))


def alarm(source: Source, name: str) -> dict[str, Any]:
    """The alarm and its history (newest first); a history the endpoint cannot give is shown
    as that error, never as an empty list."""
    cloudwatch = source.aws("cloudwatch")
    found = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    if not found:
        raise Missing(name)
    try:
        history = all_items(cloudwatch, "describe_alarm_history", "AlarmHistoryItems",
                            AlarmName=name)
        error = None
    except (ClientError, BotoCoreError) as failure:
        history, error = [], f"DescribeAlarmHistory failed: {failure}"
    history.sort(key=lambda h: h["Timestamp"], reverse=True)
    return {"alarm": found[0], "history": history, "history_error": error}
