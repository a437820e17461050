"""Reports data access (reports table): one item per day, keyed by `reportDate`."""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal.dynamo import table
from lambdas.shared.plumbing.settings import ReportEnv


def save_report(report: dict[str, Any]) -> None:
    """Store the report under its date, replacing an earlier run for the same day."""
    table(ReportEnv.load().REPORTS_TABLE_NAME).put_item(Item=report)
