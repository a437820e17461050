"""update-inventory: ordered units added to `demand`, once per order, of known products only."""

from __future__ import annotations

from lambdas.events import update_inventory
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import order_placed_event

import pytest

ITEMS = [{"productId": "p-1", "quantity": 2}, {"productId": "p-2", "quantity": 1}, {"productId": "p-1", "quantity": 3}]


@pytest.fixture(autouse=True)
def known_products(order_cloud):
    order_cloud.set_stock({"p-1": 10, "p-2": 0})


def demand(order_cloud, product):
    item = order_cloud.tables["inventory"].get_item(Key={"productId": product}).get("Item", {})
    return item.get("demand")


def test_demand_is_added_per_product(order_cloud, lambda_context):
    update_inventory.handler(order_placed_event("o-1", items=ITEMS), lambda_context)

    assert demand(order_cloud, "p-1") == 5
    assert demand(order_cloud, "p-2") == 1
    assert order_cloud.stock("p-1") == 10  # demand only; stock is reserved by the workflow


def test_redelivered_event_is_counted_once(order_cloud, lambda_context):
    update_inventory.handler(order_placed_event("o-1", items=ITEMS), lambda_context)
    update_inventory.handler(order_placed_event("o-1", items=ITEMS), lambda_context)

    assert demand(order_cloud, "p-1") == 5


def test_orders_add_up(order_cloud, lambda_context):
    update_inventory.handler(order_placed_event("o-1", items=ITEMS), lambda_context)
    update_inventory.handler(order_placed_event("o-2", items=[{"productId": "p-1", "quantity": 1}]), lambda_context)

    assert demand(order_cloud, "p-1") == 6


def test_unknown_products_get_no_item_and_known_ones_their_demand(order_cloud, lambda_context, stdout_json):
    items = [*ITEMS, {"productId": "p-ghost", "quantity": 4}]

    result = update_inventory.handler(order_placed_event("o-1", items=items), lambda_context)

    assert result == {"orderId": "o-1", "products": ["p-1", "p-2"], "unknownProducts": ["p-ghost"]}
    assert order_cloud.tables["inventory"].get_item(Key={"productId": "p-ghost"}).get("Item") is None
    assert demand(order_cloud, "p-1") == 5 and demand(order_cloud, "p-2") == 1
    metrics = [line for line in stdout_json() if "_aws" in line]
    assert any(line.get("UnknownProductsOrdered") == [1.0] for line in metrics)


def test_order_of_only_unknown_products_records_nothing(order_cloud, lambda_context):
    result = update_inventory.handler(
        order_placed_event("o-1", items=[{"productId": "p-ghost", "quantity": 1}]), lambda_context)

    assert result["unknownProducts"] == ["p-ghost"] and result["products"] == []
    assert {item["productId"] for item in order_cloud.tables["inventory"].scan()["Items"]} == {"p-1", "p-2"}
