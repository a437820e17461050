"""Daily order reports: the aggregation and its summary for people (pure), and the reports
table (one item per day)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lambdas.shared.clock import iso_utc
from lambdas.shared.dynamo import table
from lambdas.shared.orders import OrderStatus

TABLE_ENV = "REPORTS_TABLE_NAME"
TOPIC_ENV = "OPS_TOPIC_ARN"
TOP_PRODUCTS = 5


def build_report(report_date: str, orders: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Count and revenue per status, totals over all orders, and the five products ordered in
    the largest quantities (ties by product id). Every status is listed, with zeros if unused."""
    by_status = {status.value: {"count": 0, "revenue": Decimal(0)} for status in OrderStatus}
    units: Counter[str] = Counter()
    for order in orders:
        bucket = by_status.setdefault(order["status"], {"count": 0, "revenue": Decimal(0)})
        bucket["count"] += 1
        bucket["revenue"] += Decimal(order.get("amount", 0))
        for item in order.get("items", []):
            units[item["productId"]] += int(item["quantity"])

    top = sorted(units.items(), key=lambda entry: (-entry[1], entry[0]))[:TOP_PRODUCTS]
    return {
        "reportDate": report_date,
        "orderCount": sum(bucket["count"] for bucket in by_status.values()),
        "revenue": sum((bucket["revenue"] for bucket in by_status.values()), Decimal(0)),
        "byStatus": by_status,
        "topProducts": [{"productId": product, "quantity": quantity} for product, quantity in top],
        "generatedAt": iso_utc(),
    }


def _money(amount: Any) -> str:
    return f"{Decimal(amount):.2f}"


def summary(report: dict[str, Any]) -> tuple[str, str]:
    """A short plain-text summary of a report for the ops topic, as (subject, body).

    The subject is what an email subscriber sees first (SNS allows 100 characters); the body
    repeats its figures because raw deliveries carry the body only. Statuses without orders
    are left out."""
    count = int(report["orderCount"])
    orders = "1 order" if count == 1 else f"{count} orders"
    subject = f"Order report {report['reportDate']}: {orders}, revenue {_money(report['revenue'])}"
    statuses = [f"  {status}: {int(bucket['count'])} ({_money(bucket['revenue'])})"
                for status, bucket in report["byStatus"].items() if bucket["count"]]
    products = [f"  {line['productId']}: {int(line['quantity'])}"
                for line in report["topProducts"]]
    body = "\n".join([
        f"Order report for {report['reportDate']}",
        f"Orders: {count}",
        f"Revenue: {_money(report['revenue'])}",
        "By status:" if statuses else "By status: none",
        *statuses,
        "Top products:" if products else "Top products: none",
        *products,
    ])
    return subject, body


def save_report(report: dict[str, Any]) -> None:
    """Store the report under its date, replacing an earlier run for the same day."""
    table(TABLE_ENV).put_item(Item=report)
