"""The order status machine: from which statuses an order may move to each status, and the
moves themselves (conditional writes of `dal/orders_table.py`, so the rule holds however the
steps of the workflow interleave or repeat)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.shared.dal import orders_table
from lambdas.shared.dal.orders_table import OrderNotFound
from lambdas.shared.schemas.orders import OrderStatus

# OrderNotFound is part of this module's interface: `transition` raises it.
__all__ = ["ALLOWED_PREVIOUS", "OrderNotFound", "Transition", "transition", "transition_write"]

# The statuses an order may move *from* to reach a status. Nothing leads back, so a retried or
# late step can never move an order backwards.
ALLOWED_PREVIOUS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PROCESSING: frozenset({OrderStatus.PLACED}),
    # Also from PLACED, so an execution started without process-order (by hand) can still run.
    OrderStatus.VALIDATED: frozenset({OrderStatus.PLACED, OrderStatus.PROCESSING}),
    OrderStatus.PAID: frozenset({OrderStatus.VALIDATED}),
    OrderStatus.RESERVED: frozenset({OrderStatus.PAID}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.RESERVED}),
    OrderStatus.REJECTED: frozenset({OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.VALIDATED}),
    # Also from VALIDATED: a payment step that charged, then failed before the order was PAID.
    OrderStatus.REFUNDED: frozenset({OrderStatus.VALIDATED, OrderStatus.PAID}),
}


@dataclass(frozen=True)
class Transition:
    """Outcome of a status change: whether it was applied, and the order's status afterwards.

    `changed=False` with `status == target` means the order was already there (a retry);
    any other status means the order is elsewhere and was left alone.
    """

    changed: bool
    status: OrderStatus


def transition(
    order_id: str,
    target: OrderStatus,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Transition:
    """Move the order to `target` and append to its history, only from an allowed status.

    `extra` attributes are set in the same write (e.g. the confirmation message id).
    Raises `OrderNotFound` if there is no such order.
    """
    kept = orders_table.set_status(order_id, target, ALLOWED_PREVIOUS[target], reason=reason, extra=extra)
    if kept is None:
        return Transition(changed=True, status=target)
    return Transition(changed=False, status=kept)


def transition_write(order_id: str, target: OrderStatus, reason: str | None = None) -> dict[str, Any]:
    """The same status change as `transition`, as one `TransactWriteItems` entry, so it commits
    atomically with other writes (e.g. the stock a reservation takes)."""
    return orders_table.status_write(order_id, target, ALLOWED_PREVIOUS[target], reason=reason)
