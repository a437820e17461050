"""update-inventory: ordered units added to `demand`, once per order."""

from __future__ import annotations

from lambdas.events import update_inventory
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import order_placed_event

ITEMS = [{"productId": "p-1", "quantity": 2}, {"productId": "p-2", "quantity": 1}, {"productId": "p-1", "quantity": 3}]


def demand(order_cloud, product):
    item = order_cloud.tables["inventory"].get_item(Key={"productId": product}).get("Item", {})
    return item.get("demand")


def test_demand_is_added_per_product(order_cloud, lambda_context):
    order_cloud.set_stock({"p-1": 10})

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
