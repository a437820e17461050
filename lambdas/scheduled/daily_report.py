"""daily-report: aggregates one UTC day of orders into the reports table and returns the report.

Run by a schedule, it reports the day before the event's time (so a late retry still reports
the intended day). For on-demand runs, give `reportDate` (YYYY-MM-DD) at the top level of the
input or in the event's `detail`. Re-running a day overwrites its report.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from lambdas.shared import orders, reports
from lambdas.shared.clock import utc_now
from lambdas.shared.dynamo import from_dynamo
from lambdas.shared.observability import count, get_logger, instrument


def report_date(event: dict[str, Any]) -> str:
    """The day to report on, as YYYY-MM-DD. Raises ValueError for a malformed `reportDate`."""
    detail = event.get("detail")
    requested = event.get("reportDate") or (detail.get("reportDate") if isinstance(detail, dict) else None)
    if requested:
        return date.fromisoformat(str(requested)).isoformat()
    scheduled = datetime.fromisoformat(event["time"]) if event.get("time") else utc_now()
    return (scheduled.date() - timedelta(days=1)).isoformat()


def run_report(day: str) -> dict[str, Any]:
    report = reports.build_report(day, orders.orders_created_on(day))
    reports.save_report(report)
    get_logger().info("Daily report stored", extra={"reportDate": day, "orderCount": report["orderCount"]})
    count("ReportsGenerated")
    return from_dynamo(report)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_report(report_date(event or {}))


handler = instrument(_handle)
