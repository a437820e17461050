"""CloudWatch metric alarms, evaluated by the local cloud (moto stores them, never evaluates).

Time: metric datapoints carry real timestamps, alarm periods are simulated seconds. A period
of P simulated seconds covers P / time_scale real seconds, rounded to whole seconds and at
least one (moto selects datapoints with one-second precision), and the alarm is evaluated
once per such period, shortly after it ends. An evaluation looks at the last EvaluationPeriods
complete periods, which end at the last whole real second: with time_scale 60, a 300 s
period is 5 real seconds, evaluated every 5 seconds. With the manual clock, datapoints carry
simulated timestamps (the telemetry stamps them), a period is P simulated seconds and each
evaluation runs when an advance reaches its instant (`next_due` / `fire_due`), not on the loop.

Per period the statistic is computed here from moto's per-second aggregates (moto 5.2.5's
GetMetricStatistics ignores ExtendedStatistics): SampleCount, Sum, Average, Minimum and
Maximum exactly; percentiles (`p99`, `p99.9`...) by nearest rank, exact when each second holds
one sample, otherwise with each second's samples taken as spread evenly over its range.

The state follows CloudWatch: ALARM when at least DatapointsToAlarm of the EvaluationPeriods
datapoints breach; missing datapoints count as breaching or not (`breaching`,
`notBreaching`), or are left out (`missing`: INSUFFICIENT_DATA when all are missing; `ignore`:
the state is kept when all are missing). A new alarm starts in INSUFFICIENT_DATA (moto says
OK). On a change the state is written to moto with `SetAlarmState` and the AWS notification
JSON is published to the SNS topics of AlarmActions, OKActions or InsufficientDataActions
through the gateway, as `cloudwatch.amazonaws.com` for the alarm: the topic's policy (and the
key policy of an encrypted topic) must allow it, else the action fails and is logged. Alarms on
metric math (`Metrics`) are not evaluated.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import operator
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import botocore.session

from localcloud.core.background import BackgroundLoop
from localcloud.core.faults import action_of
from localcloud.core.http import AfterForward, GatewayRequest, HttpResponse, RouteTable
from localcloud.core.pagination import all_items
from localcloud.core.ports import Cloud

CLOUDWATCH = "cloudwatch.amazonaws.com"  # the principal alarm actions publish as
log = logging.getLogger("localcloud.alarms")

TICK_SECONDS = 1.0  # how often (real time) the evaluator wakes up to evaluate what is due
# The alarms are listed again after an alarm write moto accepted through the gateway, and at
# least this often (real seconds) for alarms written to moto directly: listing 64 alarms every
# tick was a fifth of moto's CPU.
RELIST_SECONDS = 10.0
_ALARM_WRITES = {"PutMetricAlarm", "PutCompositeAlarm", "DeleteAlarms", "SetAlarmState",
                 "EnableAlarmActions", "DisableAlarmActions"}
# Evaluations run this long after a period ends, so that datapoints of its last moments, still
# being shipped (the local cloud's telemetry flushes every 0.5 s), are counted.
SETTLE_SECONDS = 0.6

_COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
_STATISTIC_NAMES = {"SampleCount": "SAMPLE_COUNT", "Average": "AVERAGE", "Sum": "SUM",
                    "Minimum": "MINIMUM", "Maximum": "MAXIMUM"}
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
_ACTIONS = {"ALARM": "AlarmActions", "OK": "OKActions",
            "INSUFFICIENT_DATA": "InsufficientDataActions"}


@dataclass
class Second:
    """One second of datapoints, as moto aggregates them."""

    timestamp: float
    count: float
    total: float
    minimum: float
    maximum: float

    def values(self) -> list[float]:
        """The samples: exact for one, else spread evenly from minimum to maximum (moto gives
        no more than count, sum, minimum and maximum per second)."""
        count = round(self.count)
        if count <= 1:
            return [self.total] if count == 1 else []
        step = (self.maximum - self.minimum) / (count - 1)
        return [self.minimum + step * index for index in range(count)]


def supported_statistic(name: str | None) -> bool:
    return bool(name) and (name in _STATISTIC_NAMES or bool(_PERCENTILE.match(name)))


def statistic(name: str, seconds: list[Second]) -> float | None:
    """The value of a statistic over one period, or None when the period has no data."""
    count = sum(second.count for second in seconds)
    if not seconds or count <= 0:
        return None
    if name == "SampleCount":
        return count
    if name == "Sum":
        return sum(second.total for second in seconds)
    if name == "Average":
        return sum(second.total for second in seconds) / count
    if name == "Minimum":
        return min(second.minimum for second in seconds)
    if name == "Maximum":
        return max(second.maximum for second in seconds)
    quantile = float(_PERCENTILE.match(name).group(1))
    values = sorted(value for second in seconds for value in second.values())
    return values[max(0, math.ceil(quantile / 100 * len(values)) - 1)]


def decide_state(breaches: list[bool | None], datapoints_to_alarm: int, treat_missing: str,
                 current: str) -> str:
    """The alarm state for per-period results (True breaching, False not, None missing)."""
    if treat_missing == "breaching":
        breaches = [True if breach is None else breach for breach in breaches]
    elif treat_missing == "notBreaching":
        breaches = [False if breach is None else breach for breach in breaches]
    present = [breach for breach in breaches if breach is not None]
    if not present:
        return current if treat_missing == "ignore" else "INSUFFICIENT_DATA"
    return "ALARM" if sum(present) >= datapoints_to_alarm else "OK"


def _aws_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + \
        "+0000"


@functools.lru_cache(maxsize=None)
def _region_name(region: str) -> str:
    """The long region name alarm notifications use, e.g. "US East (N. Virginia)"."""
    endpoints = botocore.session.get_session().get_data("endpoints")
    for partition in endpoints.get("partitions", []):
        if region in partition.get("regions", {}):
            return partition["regions"][region].get("description", region)
    return region


@dataclass
class _Evaluation:
    """What one evaluation saw: per period (most recent first) its start and value."""

    starts: list[float]
    values: list[float | None]
    breaches: list[bool | None]


class AlarmEvaluator(BackgroundLoop):
    """Evaluates every single-metric alarm in moto once per (scaled) period."""

    thread_name = "alarm-evaluator"

    def __init__(self, cloud: Cloud):
        super().__init__()
        self.cloud = cloud
        self._lock = threading.Lock()
        self._due: dict[str, float] = {}
        self._listed: list[dict] | None = None  # the alarms, as last listed
        self._listed_at = 0.0
        self._skipped: set[str] = set()
        self._clients: dict[str, Any] = {}
        self._region_name = _region_name(cloud.region)

    def period_seconds(self, period: int | float) -> int:
        """The seconds of datapoint time one period of an alarm covers: real seconds (the
        scaled period) with a scaled clock, simulated ones with a manual clock."""
        if self._manual:
            return max(1, round(float(period)))
        return max(1, round(float(period) / (self.cloud.time_scale or 1.0)))

    @property
    def _manual(self) -> bool:
        return self.cloud.clock.manual

    def _now(self) -> float:
        """Datapoint time: simulated with a manual clock, else real."""
        return self.cloud.clock.now() if self._manual else time.time()

    def evaluate(self, alarm_names: list[str] | None = None, *,
                 now: float | None = None) -> list[dict]:
        """Evaluate alarms at once (at real time `now`, default the current time); returns the
        notifications of the state changes made."""
        with self._lock:
            now = self._now() if now is None else now
            alarms = [alarm for alarm in self._alarms()
                      if alarm_names is None or alarm["AlarmName"] in alarm_names]
            changes = [self._evaluate(alarm, now) for alarm in alarms]
        return [change for change in changes if change]

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._manual:  # manual: the advance evaluates
                    self.fire_due(time.time())
            except Exception:  # moto restarting, a malformed alarm...: try again next tick
                log.exception("alarm evaluation failed")
            self._stop.wait(self._sleep_seconds())

    def _sleep_seconds(self) -> float:
        earliest = self.next_due()
        if earliest is None or self._manual:
            return TICK_SECONDS
        return max(0.05, min(TICK_SECONDS, earliest - time.time()))

    # -- the manual clock's hooks (app/advance.py); the scaled loop uses them too ------------

    def next_due(self) -> float | None:
        """When the next evaluation is due (an alarm not evaluated yet: at once)."""
        with self._lock:
            alarms = self._known_alarms()
            now = self._now()
            return min((self._due.get(alarm["AlarmArn"], now) for alarm in alarms),
                       default=None)

    def fire_due(self, now: float) -> int:
        """Evaluate the alarms due at `now`; returns how many were evaluated."""
        # A scaled clock waits a little past the period's end for datapoints still shipping;
        # a manual one needs not: the advance ships them before it moves the clock.
        settle = 0.0 if self._manual else SETTLE_SECONDS
        evaluated = 0
        with self._lock:
            alarms = self._known_alarms()
            for alarm in alarms:
                arn = alarm["AlarmArn"]
                if now >= self._due.get(arn, 0.0):
                    self._evaluate(alarm, now)
                    evaluated += 1
                    # Next, just after the next period ends: periods tile without gaps.
                    length = self.period_seconds(alarm.get("Period") or 60)
                    self._due[arn] = math.floor(now) + length + settle
            known = {alarm["AlarmArn"] for alarm in alarms}
            self._due = {arn: due for arn, due in self._due.items() if arn in known}
        return evaluated

    # -- one alarm ----------------------------------------------------------------------------

    def _evaluate(self, alarm: dict, now: float) -> dict | None:
        name = alarm["AlarmName"]
        stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        comparison = _COMPARISONS.get(alarm.get("ComparisonOperator", ""))
        if alarm.get("Metrics") or not alarm.get("MetricName") or not comparison \
                or not supported_statistic(stat):
            if name not in self._skipped:
                self._skipped.add(name)
                log.warning("alarm %s is not evaluated locally (metric math, anomaly band or "
                            "statistic %s)", name, stat)
            return None
        periods = int(alarm.get("EvaluationPeriods") or 1)
        seen = self._observe(alarm, stat, comparison[0], now, periods)
        treat = alarm.get("TreatMissingData") or "missing"
        initial = alarm.get("StateReason", "").startswith("Unchecked")
        old = "INSUFFICIENT_DATA" if initial else alarm.get("StateValue", "INSUFFICIENT_DATA")
        needed = int(alarm.get("DatapointsToAlarm") or periods)
        new = decide_state(seen.breaches, needed, treat, old)
        if new == old and not initial:
            return None
        reason = self._reason(alarm, seen, old, new, needed, comparison[1], treat)
        reason_data = self._reason_data(alarm, stat, seen, now)
        self._client("cloudwatch").set_alarm_state(AlarmName=name, StateValue=new,
                                                   StateReason=reason,
                                                   StateReasonData=json.dumps(reason_data))
        alarm.update(StateValue=new, StateReason=reason)  # the listed copy stays current
        if new == old:  # a new alarm settling in INSUFFICIENT_DATA: no transition to announce
            return None
        notification = self._notification(alarm, stat, old, new, reason, now)
        self._notify(alarm, new, notification)
        return notification

    def _observe(self, alarm: dict, stat: str, compare: Callable[[float, float], bool],
                 now: float, periods: int) -> _Evaluation:
        """Query each of the last complete periods (most recent first) and compare."""
        length = self.period_seconds(alarm.get("Period") or 60)
        end = math.floor(now)
        starts, values = [], []
        for index in range(periods):
            start = end - (index + 1) * length
            starts.append(start)
            values.append(statistic(stat, self._seconds(alarm, start, start + length)))
        threshold = float(alarm["Threshold"])
        breaches = [None if value is None else compare(value, threshold) for value in values]
        return _Evaluation(starts, values, breaches)

    def _seconds(self, alarm: dict, start: float, end: float) -> list[Second]:
        """moto's per-second aggregates of the alarm's metric in [start, end) (whole seconds:
        moto compares timestamps at that precision)."""
        request: dict[str, Any] = {
            "Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"],
            "Dimensions": alarm.get("Dimensions") or [],
            "StartTime": datetime.fromtimestamp(start, timezone.utc),
            "EndTime": datetime.fromtimestamp(end, timezone.utc),
            "Period": 1, "Statistics": ["SampleCount", "Sum", "Minimum", "Maximum"],
        }
        if alarm.get("Unit"):
            request["Unit"] = alarm["Unit"]
        points = self._client("cloudwatch").get_metric_statistics(**request)["Datapoints"]
        return [Second(point["Timestamp"].timestamp(), point["SampleCount"], point["Sum"],
                       point["Minimum"], point["Maximum"]) for point in points]

    # -- what is written and published --------------------------------------------------------

    @staticmethod
    def _reason(alarm: dict, seen: _Evaluation, old: str, new: str, needed: int, words: str,
                treat: str) -> str:
        if new == "INSUFFICIENT_DATA":
            return f"Insufficient Data: {len(seen.values)} datapoints were unknown."
        present = [(value, start) for value, start in zip(seen.values, seen.starts)
                   if value is not None]
        missing = len(seen.values) - len(present)
        if not present:
            kind = "Breaching" if treat == "breaching" else "NonBreaching"
            return (f"Threshold Crossed: no datapoints were received for {missing} periods and "
                    f"{missing} missing datapoints were treated as [{kind}].")
        shown = [(value, start) for (value, start), breach
                 in zip(present, [b for b in seen.breaches if b is not None])
                 if breach == (new == "ALARM")] or present
        points = ", ".join(
            f"{value} ({datetime.fromtimestamp(start, timezone.utc):%d/%m/%y %H:%M:%S})"
            for value, start in shown)
        negation = "" if new == "ALARM" else "not "
        plural = "s" if needed != 1 else ""
        return (f"Threshold Crossed: {len(shown)} out of the last {len(seen.values)} "
                f"datapoints [{points}] was {negation}{words} the threshold "
                f"({float(alarm['Threshold'])}) (minimum {needed} datapoint{plural} for "
                f"{old} -> {new} transition).")

    @staticmethod
    def _reason_data(alarm: dict, stat: str, seen: _Evaluation, now: float) -> dict:
        return {
            "version": "1.0",
            "queryDate": _aws_time(now),
            "startDate": _aws_time(seen.starts[-1]),
            "statistic": stat,
            "period": alarm.get("Period"),
            "recentDatapoints": [value for value in seen.values if value is not None],
            "threshold": float(alarm["Threshold"]),
            "evaluatedDatapoints": [{"timestamp": _aws_time(start), "value": value}
                                    for start, value in zip(seen.starts, seen.values)
                                    if value is not None],
        }

    def _notification(self, alarm: dict, stat: str, old: str, new: str, reason: str,
                       now: float) -> dict:
        """The JSON message CloudWatch publishes to an alarm's SNS actions."""
        trigger: dict[str, Any] = {"MetricName": alarm.get("MetricName"),
                                   "Namespace": alarm.get("Namespace")}
        if alarm.get("Statistic"):
            trigger.update(StatisticType="Statistic", Statistic=_STATISTIC_NAMES[stat])
        else:
            trigger.update(StatisticType="ExtendedStatistic", ExtendedStatistic=stat)
        trigger.update({
            "Unit": alarm.get("Unit"),
            "Dimensions": [{"value": d["Value"], "name": d["Name"]}
                           for d in alarm.get("Dimensions") or []],
            "Period": alarm.get("Period"),
            "EvaluationPeriods": alarm.get("EvaluationPeriods"),
            "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods"),
            "ComparisonOperator": alarm.get("ComparisonOperator"),
            "Threshold": float(alarm["Threshold"]),
            "TreatMissingData": alarm.get("TreatMissingData") or "missing",
            "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile", ""),
        })
        updated = alarm.get("AlarmConfigurationUpdatedTimestamp")
        return {
            "AlarmName": alarm["AlarmName"],
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": self.cloud.account_id,
            "AlarmConfigurationUpdatedTimestamp": _aws_time(updated.timestamp())
            if isinstance(updated, datetime) else None,
            "NewStateValue": new,
            "NewStateReason": reason,
            "StateChangeTime": _aws_time(now),
            "Region": self._region_name,
            "AlarmArn": alarm.get("AlarmArn"),
            "OldStateValue": old,
            "OKActions": alarm.get("OKActions") or [],
            "AlarmActions": alarm.get("AlarmActions") or [],
            "InsufficientDataActions": alarm.get("InsufficientDataActions") or [],
            "Trigger": trigger,
        }

    def _notify(self, alarm: dict, new: str, notification: dict) -> None:
        if not alarm.get("ActionsEnabled", True):
            return
        subject = f'{new}: "{alarm["AlarmName"]}" in {self._region_name}'[:100]
        for arn in alarm.get(_ACTIONS[new]) or []:
            if ":sns:" not in arn:
                log.warning("alarm %s: action %s is not run locally (SNS actions only)",
                            alarm["AlarmName"], arn)
                continue
            denied = self.cloud.authorize_delivery(CLOUDWATCH, alarm["AlarmArn"], "sns:Publish",
                                                   arn)
            if denied:  # what CloudWatch writes in the alarm's history
                log.warning("alarm %s: Failed to execute action %s. Received error: %s",
                            alarm["AlarmName"], arn, denied)
                continue
            try:
                self._client("sns", via_gateway=True).publish(
                    TopicArn=arn, Subject=subject, Message=json.dumps(notification))
            except Exception:
                log.exception("alarm %s could not publish to %s", alarm["AlarmName"], arn)

    # -- moto ---------------------------------------------------------------------------------

    def routes(self) -> RouteTable:
        """An alarm written through the gateway is evaluated from the next tick."""
        return RouteTable(after_forward=[AfterForward("cloudwatch:alarm-writes", _is_alarm_write,
                                                      self._forget_alarms)])

    def _forget_alarms(self, request: GatewayRequest, response: HttpResponse) -> None:
        self._listed = None

    def _known_alarms(self) -> list[dict]:
        if self._listed is None or time.monotonic() - self._listed_at > RELIST_SECONDS:
            self._listed, self._listed_at = self._alarms(), time.monotonic()
        return self._listed

    def _alarms(self) -> list[dict]:
        return all_items(self._client("cloudwatch"), "describe_alarms", "MetricAlarms",
                         AlarmTypes=["MetricAlarm"])

    def _client(self, service: str, via_gateway: bool = False) -> Any:
        key = f"{service}:{via_gateway}"
        if key not in self._clients:
            self._clients[key] = self.cloud.aws(service, via_gateway=via_gateway)
        return self._clients[key]


def _is_alarm_write(request: GatewayRequest) -> bool:
    named = action_of(request)
    return bool(named and named[0] == "monitoring" and named[1] in _ALARM_WRITES)
