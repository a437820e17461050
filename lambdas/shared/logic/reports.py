"""Daily order reports: the aggregation of a day's orders, and its summary for people. Pure:
the orders come in, the report goes out (`dal/reports_table.py` stores it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lambdas.shared.plumbing.clock import iso_utc
from lambdas.shared.schemas.orders import OrderStatus

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
