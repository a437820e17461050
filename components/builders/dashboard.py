"""The operations dashboard's body: widgets as plain data, serialised by `Output.json_dumps`.

Every metric widget carries `region`, `view`, `stat`, `period`, `title` and its `metrics` as an
array of arrays (`[namespace, metric, dimension, value, ...]`), which is what CloudWatch
requires. Widgets sit on a two-column grid, below a full-width alarm-status widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import pulumi

WIDTH, HEIGHT = 12, 6
ALARMS_PER_WIDGET = 100  # the alarm-status widget shows at most 100 alarms


@dataclass
class DashboardSources:
    """What the dashboard shows; names and ARNs may be outputs."""

    region: str
    period: int
    duration_statistic: str
    function_names: Sequence[pulumi.Input[str]] = ()
    queue_names: Sequence[pulumi.Input[str]] = ()
    api_name: Optional[pulumi.Input[str]] = None
    stage_name: Optional[pulumi.Input[str]] = None
    state_machine_arns: Sequence[pulumi.Input[str]] = ()
    # [namespace, metric, "service", service] of the sweeper's StuckOrders metric, if any.
    stuck_orders_metric: Optional[Sequence[str]] = None
    alarm_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)


def _graph(title: str, stat: str, metrics: list[list[pulumi.Input[str]]],
           sources: DashboardSources) -> dict[str, Any]:
    return {"type": "metric", "properties": {
        "title": title, "region": sources.region, "view": "timeSeries", "stat": stat,
        "period": sources.period, "metrics": metrics}}


def _metric_widgets(s: DashboardSources) -> list[dict[str, Any]]:
    widgets = []
    # The reference's four Lambda graphs, one line per function.
    for metric, stat in (("Invocations", "Sum"), ("Errors", "Sum"),
                         ("Duration", s.duration_statistic), ("Throttles", "Sum")):
        lines = [["AWS/Lambda", metric, "FunctionName", name] for name in s.function_names]
        widgets.append(_graph(f"Lambda {metric} ({stat})", stat, lines, s))
    if s.api_name is not None:
        api = ["ApiName", s.api_name, "Stage", s.stage_name]
        widgets.append(_graph("API requests and errors (Sum)", "Sum", [
            ["AWS/ApiGateway", metric, *api] for metric in ("Count", "4XXError", "5XXError")],
            s))
        widgets.append(_graph("API latency (p99)", "p99",
                              [["AWS/ApiGateway", "Latency", *api]], s))
    widgets.append(_graph("Queue depth (messages visible)", "Maximum", [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]
        for name in s.queue_names], s))
    widgets.append(_graph("Workflow executions (Sum)", "Sum", [
        ["AWS/States", metric, "StateMachineArn", arn]
        for arn in s.state_machine_arns
        for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed")], s))
    if s.stuck_orders_metric:
        widgets.append(_graph("Stuck orders per sweep (Maximum)", "Maximum",
                              [list(s.stuck_orders_metric)], s))
    # A graph without lines is noise: leave it out.
    return [w for w in widgets if w["properties"]["metrics"]]


def dashboard_body(sources: DashboardSources) -> dict[str, Any]:
    """The dashboard as a dict of inputs; pass it to `pulumi.Output.json_dumps`."""
    widgets: list[dict[str, Any]] = []
    arns = list(sources.alarm_arns)
    for start in range(0, len(arns), ALARMS_PER_WIDGET):
        widgets.append({
            "type": "alarm", "x": 0, "y": len(widgets) * HEIGHT, "width": 2 * WIDTH,
            "height": HEIGHT,
            "properties": {"title": "Alarm status",
                           "alarms": arns[start:start + ALARMS_PER_WIDGET]}})
    top = len(widgets) * HEIGHT
    for i, widget in enumerate(_metric_widgets(sources)):
        widgets.append({**widget, "x": (i % 2) * WIDTH, "y": top + (i // 2) * HEIGHT,
                        "width": WIDTH, "height": HEIGHT})
    return {"widgets": widgets}
