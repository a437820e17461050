"""reserve-inventory: all-or-nothing conditional decrement; stock never goes negative."""

from __future__ import annotations

import pytest

from lambdas.workflow import reserve_inventory
from scripts import seed_stock
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import workflow_state


def reserve_state(order_id: str = "o-1", items=None):
    items = items or [{"productId": "p-1", "quantity": 2}, {"productId": "p-2", "quantity": 1}]
    return workflow_state(
        order_id,
        items=items,
        validation={"valid": True, "reason": None},
        payment={"status": "SUCCESS", "paymentId": "pay_1", "reason": None},
    )


def test_stock_is_reserved_and_order_marked(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 10, "p-2": 5})
    order_cloud.add_order("o-1", status="PAID")

    result = reserve_inventory.handler(reserve_state("o-1"), lambda_context)

    assert result == {"reserved": True, "reason": None}
    assert (order_cloud.stock("p-1"), order_cloud.stock("p-2")) == (8, 4)
    assert order_cloud.order("o-1")["status"] == "RESERVED"


def test_lines_of_the_same_product_are_reserved_together(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 3})
    order_cloud.add_order("o-1", status="PAID")
    items = [{"productId": "p-1", "quantity": 2}, {"productId": "p-1", "quantity": 2}]

    result = reserve_inventory.handler(reserve_state("o-1", items), lambda_context)

    assert result == {"reserved": False, "reason": "insufficient stock for p-1"}
    assert order_cloud.stock("p-1") == 3


def test_insufficient_stock_cancels_everything(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 10, "p-2": 0})
    order_cloud.add_order("o-1", status="PAID")

    result = reserve_inventory.handler(reserve_state("o-1"), lambda_context)

    assert result == {"reserved": False, "reason": "insufficient stock for p-2"}
    # Nothing taken, not even the product that had enough; the order waits for its refund.
    assert (order_cloud.stock("p-1"), order_cloud.stock("p-2")) == (10, 0)
    assert order_cloud.order("o-1")["status"] == "PAID"


def test_product_without_stock_item_is_out_of_stock(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 10})
    order_cloud.add_order("o-1", status="PAID")

    result = reserve_inventory.handler(reserve_state("o-1"), lambda_context)

    assert result == {"reserved": False, "reason": "insufficient stock for p-2"}
    assert order_cloud.stock("p-1") == 10
    assert order_cloud.stock("p-2") is None


def test_stock_runs_out_but_never_goes_negative(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 3})
    items = [{"productId": "p-1", "quantity": 2}]
    for order_id in ("o-1", "o-2"):
        order_cloud.add_order(order_id, status="PAID", items=items)

    first = reserve_inventory.handler(reserve_state("o-1", items), lambda_context)
    second = reserve_inventory.handler(reserve_state("o-2", items), lambda_context)

    assert first["reserved"] is True
    assert second == {"reserved": False, "reason": "insufficient stock for p-1"}
    assert order_cloud.stock("p-1") == 1


def test_retried_step_reserves_once(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 10, "p-2": 5})
    order_cloud.add_order("o-1", status="PAID")

    first = reserve_inventory.handler(reserve_state("o-1"), lambda_context)
    second = reserve_inventory.handler(reserve_state("o-1"), lambda_context)

    assert first == second == {"reserved": True, "reason": None}
    assert (order_cloud.stock("p-1"), order_cloud.stock("p-2")) == (8, 4)
    assert [entry["status"] for entry in order_cloud.order("o-1")["history"]] == ["PAID", "RESERVED"]


def test_order_that_is_not_paid_is_not_reserved(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 10, "p-2": 5})
    order_cloud.add_order("o-1", status="REJECTED")

    result = reserve_inventory.handler(reserve_state("o-1"), lambda_context)

    assert result == {"reserved": False, "reason": "order is REJECTED"}
    assert (order_cloud.stock("p-1"), order_cloud.stock("p-2")) == (10, 5)


def test_seed_script_sets_stock_and_keeps_demand(order_cloud, capsys):
    table = order_cloud.tables["inventory"].name
    order_cloud.tables["inventory"].put_item(Item={"productId": "p-1", "stock": 1, "demand": 7})
    args = ["--table", table, "--product", "p-1=10", "--product", "p-2=5"]

    assert seed_stock.main(args) == 0
    assert seed_stock.main(args) == 0  # running it again changes nothing

    assert (order_cloud.stock("p-1"), order_cloud.stock("p-2")) == (10, 5)
    assert order_cloud.tables["inventory"].get_item(Key={"productId": "p-1"})["Item"]["demand"] == 7
    assert "p-2: stock 5" in capsys.readouterr().out


def test_seed_script_rejects_a_malformed_product(order_cloud):
    with pytest.raises(SystemExit):
        seed_stock.main(["--table", "t", "--product", "p-1=many"])
