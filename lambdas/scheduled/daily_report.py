"""daily-report: aggregates one UTC day of orders into the reports table, publishes a short
summary of it to the ops topic, and returns the report.

Run by a schedule, it reports the day before the event's time (so a late retry still reports
the intended day). For on-demand runs, give `reportDate` (YYYY-MM-DD) at the top level of the
input or in the event's `detail`. Re-running a day overwrites its report and publishes its
summary again: a retry after a failed publish must still reach the ops team, and an on-demand
re-run is usually a request to see the figures anew. The summary is published after the report
is stored, so a failure to store publishes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from lambdas.shared.dal import orders_table, reports_table, topics
from lambdas.shared.dal.dynamo import from_dynamo
from lambdas.shared.logic import reports
from lambdas.shared.plumbing.clock import utc_now
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.plumbing.settings import ReportEnv


def report_date(event: dict[str, Any]) -> str:
    """The day to report on, as YYYY-MM-DD. Raises ValueError for a malformed `reportDate`."""
    detail = event.get("detail")
    requested = event.get("reportDate") or (detail.get("reportDate") if isinstance(detail, dict) else None)
    if requested:
        return date.fromisoformat(str(requested)).isoformat()
    scheduled = datetime.fromisoformat(event["time"]) if event.get("time") else utc_now()
    return (scheduled.date() - timedelta(days=1)).isoformat()


def publish_summary(report: dict[str, Any]) -> str:
    """Publish the report's summary to the ops topic; returns the message id."""
    subject, body = reports.summary(report)
    return topics.publish(
        ReportEnv.load().OPS_TOPIC_ARN,
        body,
        subject=subject,
        # Lets subscribers filter, e.g. on a date range.
        attributes={"reportDate": report["reportDate"]},
    )


def run_report(day: str) -> dict[str, Any]:
    report = reports.build_report(day, orders_table.orders_created_on(day))
    reports_table.save_report(report)
    get_logger().info("Daily report stored", extra={"reportDate": day, "orderCount": report["orderCount"]})
    count("ReportsGenerated")
    message_id = publish_summary(report)
    get_logger().info("Daily report summary published", extra={"reportDate": day, "messageId": message_id})
    return from_dynamo(report)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_report(report_date(event or {}))


handler = instrument(_handle)
