"""The platform's CloudWatch alarms, described as data before any of them is created.

`Monitoring` turns each `AlarmSpec` into one `aws.cloudwatch.MetricAlarm`. Describing them first
lets the alarm topic's policy name the exact ARN of every alarm that may publish to it (alarm
names are fixed, so their ARNs are known before the alarms exist).

Two evaluation windows are used:
- *sustained* (`evaluationPeriods` / `datapointsToAlarm` from the stack config) for rates that
  can spike briefly: Lambda Errors and Duration, API 5XX and latency;
- *immediate* (1 of 1 periods) for counts where a single occurrence matters: Lambda Throttles
  (as in the reference), a message in a dead-letter queue, a failed workflow execution. A
  2-of-2 window would miss a single failure followed by a quiet period.

The stuck-orders alarm uses the sustained window: one sweep that finds stuck orders re-drives
them, so it fires only when orders are still found stuck sweep after sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from stack_settings import MonitoringSettings

if TYPE_CHECKING:  # only read (name, timeout): the builders import no component
    from components.python_function import PythonFunction

GREATER = "GreaterThanThreshold"
GREATER_OR_EQUAL = "GreaterThanOrEqualToThreshold"


@dataclass(frozen=True)
class AlarmSpec:
    """One metric alarm: which metric, which statistic, when it fires."""

    key: str  # unique within the stack, e.g. "create-user-errors"; the alarm is `<prefix>-<key>`
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str  # "Sum", "Maximum", "Average", or a percentile such as "p99"
    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int

    @property
    def percentile(self) -> bool:
        return self.statistic.startswith("p")


@dataclass(frozen=True)
class _Window:
    evaluation_periods: int
    datapoints_to_alarm: int


def _sustained(s: MonitoringSettings) -> _Window:
    return _Window(s.evaluation_periods, s.datapoints_to_alarm)


IMMEDIATE = _Window(1, 1)


def _spec(key: str, description: str, namespace: str, metric: str,
          dimensions: Mapping[str, pulumi.Input[str]], statistic: str, comparison: str,
          threshold: float, window: _Window) -> AlarmSpec:
    return AlarmSpec(key, description, namespace, metric, dimensions, statistic, comparison,
                     threshold, window.evaluation_periods, window.datapoints_to_alarm)


def function_alarms(fn: PythonFunction, s: MonitoringSettings) -> list[AlarmSpec]:
    """The reference's three alarms for one function: Errors, Duration, Throttles."""
    timeout_ms = fn.timeout * 1000
    # metric, statistic, comparison, threshold, window, what firing means
    table = (
        ("Errors", "Sum", GREATER, s.errors_threshold, _sustained(s),
         f"more than {s.errors_threshold:g} invocation errors per period"),
        ("Duration", s.duration_statistic, GREATER, s.duration_threshold_ratio * timeout_ms,
         _sustained(s),
         f"{s.duration_statistic} duration above {s.duration_threshold_ratio:.0%} of the "
         f"{fn.timeout} s timeout"),
        ("Throttles", "Sum", GREATER_OR_EQUAL, s.throttles_threshold, IMMEDIATE,
         f"{s.throttles_threshold:g} or more throttled invocations per period"),
    )
    return [
        _spec(f"{fn.logical_name}-{metric.lower()}", f"{fn.logical_name}: {about}",
              "AWS/Lambda", metric, {"FunctionName": fn.name}, statistic, comparison,
              threshold, window)
        for metric, statistic, comparison, threshold, window, about in table
    ]


def dead_letter_alarm(queue: aws.sqs.Queue) -> AlarmSpec:
    """Any message in a dead-letter queue is work that failed every retry."""
    name = queue.pulumi_resource_name
    return _spec(f"{name}-not-empty", f"{name}: messages waiting in a dead-letter queue",
                 "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                 {"QueueName": queue.name}, "Maximum", GREATER_OR_EQUAL, 1, IMMEDIATE)


def api_alarms(api_name: pulumi.Input[str], stage_name: pulumi.Input[str],
               s: MonitoringSettings) -> list[AlarmSpec]:
    """5XX errors and p99 latency of the REST API stage (dimensions are names, not ids)."""
    dimensions = {"ApiName": api_name, "Stage": stage_name}
    return [
        _spec("api-5xx-errors", f"API: more than {s.api_5xx_threshold:g} 5XX responses per "
              "period", "AWS/ApiGateway", "5XXError", dimensions, "Sum", GREATER,
              s.api_5xx_threshold, _sustained(s)),
        _spec("api-latency-p99", f"API: p99 latency above {s.api_latency_p99_ms:g} ms",
              "AWS/ApiGateway", "Latency", dimensions, "p99", GREATER,
              s.api_latency_p99_ms, _sustained(s)),
    ]


def workflow_alarm(state_machine: aws.sfn.StateMachine) -> AlarmSpec:
    """A failed execution; this includes orders the workflow rejects by design."""
    name = state_machine.pulumi_resource_name
    return _spec(f"{name}-executions-failed",
                 f"{name}: a workflow execution failed (rejected, refunded or errored order)",
                 "AWS/States", "ExecutionsFailed", {"StateMachineArn": state_machine.arn},
                 "Sum", GREATER_OR_EQUAL, 1, IMMEDIATE)


@dataclass(frozen=True)
class EmfMetric:
    """A metric a function publishes with Powertools (EMF): its namespace, name and the
    `service` dimension Powertools adds."""

    namespace: str
    name: str
    service: str

    @property
    def dimensions(self) -> dict[str, str]:
        return {"service": self.service}


def stuck_orders_alarm(metric: EmfMetric, s: MonitoringSettings) -> AlarmSpec:
    """Orders the sweeper found unfinished past the configured age, sweep after sweep."""
    return _spec("stuck-orders", "Orders stuck short of a final status after re-driving "
                 "(docs/runbook.md)", metric.namespace, metric.name, metric.dimensions,
                 "Maximum", GREATER_OR_EQUAL, 1, _sustained(s))


def alarm_arns(prefix: str, region: str, account_id: str,
               specs: Sequence[AlarmSpec]) -> list[str]:
    """The ARNs the alarms will have, known before they are created."""
    return [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{prefix}-{s.key}" for s in specs]
