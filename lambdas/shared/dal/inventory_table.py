"""Inventory data access (inventory table): `stock` (never negative) and `demand` per product.

Both writes are single transactions, so a failure leaves nothing half-applied for a retry to
apply twice. A transaction takes at most 100 entries; orders have at most 50 lines. Both are
conditional on the product's item, so neither creates one: a product exists when its stock was
seeded (`scripts/seed_stock.py`), and `missing_products` (a read) tells which do not.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal.dynamo import cancelled_by_conditions, dynamodb
from lambdas.shared.plumbing.aws_clients import client_error
from lambdas.shared.plumbing.settings import InventoryEnv


class ReservationRefused(Exception):
    """The reservation transaction was cancelled by a condition: nothing was written."""

    def __init__(self, out_of_stock: list[str], order_refused: bool):
        super().__init__(f"reservation refused (out of stock: {out_of_stock}, order refused: {order_refused})")
        self.out_of_stock = out_of_stock  # products whose stock is missing or too low
        self.order_refused = order_refused  # the order was not in the status reservation requires


def reserve(quantities: dict[str, int], order_write: dict[str, Any]) -> None:
    """Take `quantities` out of stock together with `order_write` (the order's move to RESERVED,
    a `TransactWriteItems` entry from `logic.order_status.transition_write`), all or nothing.

    A product without a stock item, or with less stock than asked, refuses the whole
    transaction, so stock never goes negative. Raises `ReservationRefused`.
    """
    inventory = InventoryEnv.load().INVENTORY_TABLE_NAME
    products = list(quantities)
    writes = [order_write] + [
        _product_update(inventory, product, quantities[product], "SET stock = stock - :quantity", "stock >= :quantity")
        for product in products
    ]
    try:
        dynamodb().meta.client.transact_write_items(TransactItems=writes)
    except client_error() as error:
        failed = cancelled_by_conditions(error, len(writes))
        if failed is None:
            raise  # cancelled for another reason (e.g. a conflicting transaction): retry
        raise ReservationRefused(
            out_of_stock=[product for product, refused in zip(products, failed[1:]) if refused],
            order_refused=failed[0],
        ) from error


def add_demand(quantities: dict[str, int]) -> list[str]:
    """Add ordered units to the `demand` of each product that exists, atomically; returns the
    products that do not exist (sorted), which get no item.

    A product is known by its inventory item (seeded stock). The update is conditional, so an
    unknown product never gets a phantom item that would make it look known; the workflow
    rejects such an order at validation. A cancelled transaction wrote nothing: it is sent
    again without the products it found unknown.
    """
    inventory = InventoryEnv.load().INVENTORY_TABLE_NAME
    known = dict(quantities)
    while known:
        writes = [
            _product_update(inventory, product, quantity, "ADD demand :quantity", "attribute_exists(productId)")
            for product, quantity in known.items()
        ]
        try:
            dynamodb().meta.client.transact_write_items(TransactItems=writes)
            break
        except client_error() as error:
            failed = cancelled_by_conditions(error, len(known))
            if failed is None:
                raise  # cancelled for another reason (e.g. a conflicting transaction): retry
            unknown = [product for product, refused in zip(list(known), failed) if refused]
            for product in unknown:
                del known[product]
    return sorted(set(quantities) - set(known))


def missing_products(products: list[str]) -> list[str]:
    """The products of `products` that have no inventory item (sorted). Read only."""
    inventory = InventoryEnv.load().INVENTORY_TABLE_NAME
    wanted = {"Keys": [{"productId": product} for product in dict.fromkeys(products)], "ProjectionExpression": "productId"}
    found: set[str] = set()
    # At most 100 keys per call; orders have at most 50 lines. Unprocessed keys are asked again.
    while wanted.get("Keys"):
        response = dynamodb().meta.client.batch_get_item(RequestItems={inventory: wanted})
        found.update(item["productId"] for item in response["Responses"].get(inventory, []))
        wanted = response.get("UnprocessedKeys", {}).get(inventory, {})
    return sorted(set(products) - found)


def _product_update(table: str, product: str, quantity: int, expression: str, condition: str) -> dict[str, Any]:
    """A `TransactWriteItems` entry updating one product's item by `:quantity`, conditionally."""
    return {
        "Update": {
            "TableName": table,
            "Key": {"productId": product},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {":quantity": quantity},
        }
    }
