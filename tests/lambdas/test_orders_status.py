"""The order status machine: conditional status transitions that append to the history."""

from __future__ import annotations

import pytest

from lambdas.shared.logic import order_status as orders
from lambdas.shared.schemas.orders import OrderStatus
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)


def test_transition_sets_status_and_appends_history(order_cloud):
    order_cloud.add_order("o-1", status="PLACED")

    result = orders.transition("o-1", OrderStatus.PROCESSING)

    assert result == orders.Transition(changed=True, status=OrderStatus.PROCESSING)
    stored = order_cloud.order("o-1")
    assert stored["status"] == "PROCESSING"
    assert [entry["status"] for entry in stored["history"]] == ["PLACED", "PROCESSING"]
    assert stored["updatedAt"] == stored["history"][-1]["at"]


def test_transition_records_the_reason(order_cloud):
    order_cloud.add_order("o-1", status="VALIDATED")

    orders.transition("o-1", OrderStatus.REJECTED, reason="payment declined")

    assert order_cloud.order("o-1")["history"][-1]["reason"] == "payment declined"


def test_same_status_again_is_a_no_op(order_cloud):
    order_cloud.add_order("o-1", status="PLACED")
    orders.transition("o-1", OrderStatus.PROCESSING)

    again = orders.transition("o-1", OrderStatus.PROCESSING)

    assert again == orders.Transition(changed=False, status=OrderStatus.PROCESSING)
    assert len(order_cloud.order("o-1")["history"]) == 2


def test_a_late_step_never_moves_an_order_backwards(order_cloud):
    order_cloud.add_order("o-1", status="PAID")

    late = orders.transition("o-1", OrderStatus.VALIDATED)

    assert late == orders.Transition(changed=False, status=OrderStatus.PAID)
    stored = order_cloud.order("o-1")
    assert stored["status"] == "PAID"
    assert len(stored["history"]) == 1


def test_extra_attributes_are_written_with_the_status(order_cloud):
    order_cloud.add_order("o-1", status="RESERVED")

    orders.transition("o-1", OrderStatus.CONFIRMED, extra={"confirmationMessageId": "m-1"})

    assert order_cloud.order("o-1")["confirmationMessageId"] == "m-1"


def test_unknown_order_is_reported(order_cloud):
    with pytest.raises(orders.OrderNotFound):
        orders.transition("missing", OrderStatus.PROCESSING)
    assert "Item" not in order_cloud.tables["orders"].get_item(Key={"orderId": "missing"})
