"""An order's lines: the units per product (what stock and demand count) and how an email
lists them."""

from __future__ import annotations

from collections.abc import Iterable

from lambdas.shared.schemas.events import LineItem


def quantities_by_product(items: Iterable[LineItem]) -> dict[str, int]:
    """Total quantity per product (a transaction may not touch the same item twice)."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item.productId] = totals.get(item.productId, 0) + item.quantity
    return totals


def describe_items(items: Iterable[LineItem]) -> str:
    """One line per order line, e.g. "  2 x p-1"."""
    return "\n".join(f"  {item.quantity} x {item.productId}" for item in items)
