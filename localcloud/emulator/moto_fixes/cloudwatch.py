"""CloudWatch alarm history for moto, which has no DescribeAlarmHistory (every call was a 500).

Each state change made with SetAlarmState (the local cloud's alarm evaluator makes them all)
is kept as a `StateUpdate` item shaped as AWS writes it: HistorySummary "Alarm updated from OK
to ALARM" and HistoryData with the old and new state, reason and reason data. As on AWS the
history outlives the alarm. A SetAlarmState that keeps the state writes no item. A new alarm
starts in INSUFFICIENT_DATA as on AWS (moto said OK). Not recorded: `ConfigurationUpdate`
(alarm created or changed) and `Action` (notification sent) items.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

MAX_RECORDS = 100


def install() -> None:
    from moto.cloudwatch import models, responses

    if getattr(models.CloudWatchBackend, "_localcloud_history", False):
        return
    original_init = models.Alarm.__init__
    original_set_state = models.CloudWatchBackend.set_alarm_state

    def alarm_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.state_value = "INSUFFICIENT_DATA"

    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        alarm = self.alarms.get(alarm_name)
        old = _state(alarm) if alarm else None
        original_set_state(self, alarm_name, reason, reason_data, state_value)
        if old and old["stateValue"] != state_value:
            _record(self, alarm, old)

    def describe_alarm_history(self):
        items = _select(_history(self.cloudwatch_backend), self._get_param)
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxRecords") or MAX_RECORDS)
        result = {"AlarmHistoryItems": items[start:start + size]}
        if start + size < len(items):
            result["NextToken"] = str(start + size)
        return responses.ActionResult(result)

    models.Alarm.__init__ = alarm_init
    models.CloudWatchBackend.set_alarm_state = set_alarm_state
    models.CloudWatchBackend._localcloud_history = True
    responses.CloudWatchResponse.describe_alarm_history = describe_alarm_history


_LOCK = threading.Lock()


def _history(backend) -> list[dict]:
    with _LOCK:
        if not hasattr(backend, "localcloud_alarm_history"):
            backend.localcloud_alarm_history = []
        return backend.localcloud_alarm_history


def _state(alarm) -> dict:
    state = {"stateValue": alarm.state_value, "stateReason": alarm.state_reason}
    try:
        data = json.loads(alarm.state_reason_data or "{}")
    except ValueError:
        data = {}
    if data:
        state["stateReasonData"] = data
    return state


def _record(backend, alarm, old: dict) -> None:
    new = _state(alarm)
    item = {
        "AlarmName": alarm.name,
        "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
        # Milliseconds, as AWS keeps them (and clients send StartDate/EndDate).
        "Timestamp": _aware(alarm.state_updated_timestamp).replace(
            microsecond=alarm.state_updated_timestamp.microsecond // 1000 * 1000),
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old['stateValue']} to {new['stateValue']}",
        "HistoryData": json.dumps({"version": "1.0", "oldState": old, "newState": new}),
    }
    history = _history(backend)
    with _LOCK:
        history.append(item)


def _select(history: list[dict], param) -> list[dict]:
    """The items DescribeAlarmHistory's filters keep, in the order ScanBy asks for."""
    name, kind = param("AlarmName"), param("HistoryItemType")
    types = param("AlarmTypes") or []
    start, end = _moment(param("StartDate")), _moment(param("EndDate"))
    with _LOCK:
        items = [item for item in history
                 if (not name or item["AlarmName"] == name)
                 and (not kind or item["HistoryItemType"] == kind)
                 and (not types or item["AlarmType"] in types)
                 and (start is None or item["Timestamp"] >= start)
                 and (end is None or item["Timestamp"] <= end)]
    items.sort(key=lambda item: item["Timestamp"],
               reverse=param("ScanBy") != "TimestampAscending")
    return items


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _moment(value) -> datetime | None:
    """A StartDate/EndDate parameter (a datetime, an ISO string or epoch seconds)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, (int, float)) or str(value).replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), timezone.utc)
    return _aware(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
