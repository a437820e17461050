"""Daily order reports: the aggregation of a day's orders, and its summary for people. Pure:
the orders come in, the report goes out (`dal/reports_table.py` stores it).

No stored order can break a report: an order whose status, amount or lines cannot be
aggregated (wrong type, out of the request model's bounds, not finite) is skipped and counted
(`skipped`, with up to `SKIPPED_IDS` of their ids in `skippedOrders`), and the summary says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lambdas.shared.plumbing.clock import iso_utc
from lambdas.shared.schemas.orders import OrderStatus
from lambdas.shared.schemas.requests import AMOUNT_CEILING, MAX_QUANTITY

TOP_PRODUCTS = 5
# Enough ids to find the bad records; the report item must stay small (DynamoDB: 400 KB).
SKIPPED_IDS = 20


class _Unreportable(ValueError):
    pass


def _number(value: Any, low: Decimal, high: Decimal, *, integral: bool = False) -> Decimal:
    # DynamoDB numbers come back as Decimal; a record written by hand may hold anything.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _Unreportable(f"not a number: {value!r}")
    number = Decimal(value)
    if not number.is_finite() or not low <= number <= high or (integral and number != number.to_integral_value()):
        raise _Unreportable(f"out of range: {value!r}")
    return number


def _figures(order: Any) -> tuple[str, Decimal, list[tuple[str, int]]]:
    """(status, amount, [(productId, quantity)]) of an order, or `_Unreportable`."""
    if not isinstance(order, dict) or not isinstance(order.get("status"), str):
        raise _Unreportable("no status")
    amount = _number(order.get("amount", 0), Decimal(0), AMOUNT_CEILING)
    items = order.get("items", [])
    if not isinstance(items, list):
        raise _Unreportable("items is not a list")
    lines = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("productId"), str):
            raise _Unreportable("malformed line")
        quantity = _number(item.get("quantity"), Decimal(1), Decimal(MAX_QUANTITY), integral=True)
        lines.append((item["productId"], int(quantity)))
    return order["status"], amount, lines


def build_report(report_date: str, orders: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Count and revenue per status, totals over all orders, and the five products ordered in
    the largest quantities (ties by product id). Every status is listed, with zeros if unused.
    Orders that cannot be aggregated are left out and counted in `skipped`."""
    by_status = {status.value: {"count": 0, "revenue": Decimal(0)} for status in OrderStatus}
    units: Counter[str] = Counter()
    skipped: list[str] = []
    for order in orders:
        try:
            status, amount, lines = _figures(order)
        except _Unreportable:
            order_id = order.get("orderId") if isinstance(order, dict) else None
            skipped.append(str(order_id))
            continue
        bucket = by_status.setdefault(status, {"count": 0, "revenue": Decimal(0)})
        bucket["count"] += 1
        bucket["revenue"] += amount
        for product, quantity in lines:
            units[product] += quantity

    top = sorted(units.items(), key=lambda entry: (-entry[1], entry[0]))[:TOP_PRODUCTS]
    return {
        "reportDate": report_date,
        "orderCount": sum(bucket["count"] for bucket in by_status.values()),
        "revenue": sum((bucket["revenue"] for bucket in by_status.values()), Decimal(0)),
        "byStatus": by_status,
        "topProducts": [{"productId": product, "quantity": quantity} for product, quantity in top],
        "skipped": len(skipped),
        "skippedOrders": skipped[:SKIPPED_IDS],
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
    skipped = int(report.get("skipped", 0))
    skipped_lines = []
    if skipped:
        subject += f", {skipped} skipped"
        skipped_lines = [f"Skipped (cannot be aggregated): {skipped}: {', '.join(report['skippedOrders'])}"]
    statuses = [f"  {status}: {int(bucket['count'])} ({_money(bucket['revenue'])})"
                for status, bucket in report["byStatus"].items() if bucket["count"]]
    products = [f"  {line['productId']}: {int(line['quantity'])}"
                for line in report["topProducts"]]
    body = "\n".join([
        f"Order report for {report['reportDate']}",
        f"Orders: {count}",
        f"Revenue: {_money(report['revenue'])}",
        *skipped_lines,
        "By status:" if statuses else "By status: none",
        *statuses,
        "Top products:" if products else "Top products: none",
        *products,
    ])
    return subject, body
