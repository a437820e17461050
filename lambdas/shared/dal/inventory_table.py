"""Inventory data access (inventory table): `stock` (never negative) and `demand` per product.

Both writes are single transactions, so a failure leaves nothing half-applied for a retry to
apply twice. A transaction takes at most 100 entries; orders have at most 50 lines.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lambdas.shared.dal.dynamo import cancelled_by_conditions, dynamodb
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
        {
            "Update": {
                "TableName": inventory,
                "Key": {"productId": product},
                "UpdateExpression": "SET stock = stock - :quantity",
                "ConditionExpression": "stock >= :quantity",
                "ExpressionAttributeValues": {":quantity": quantities[product]},
            }
        }
        for product in products
    ]
    try:
        dynamodb().meta.client.transact_write_items(TransactItems=writes)
    except ClientError as error:
        failed = cancelled_by_conditions(error, len(writes))
        if failed is None:
            raise  # cancelled for another reason (e.g. a conflicting transaction): retry
        raise ReservationRefused(
            out_of_stock=[product for product, refused in zip(products, failed[1:]) if refused],
            order_refused=failed[0],
        ) from error


def add_demand(quantities: dict[str, int]) -> None:
    """Add ordered units to each product's `demand` (creating the item if needed), atomically."""
    inventory = InventoryEnv.load().INVENTORY_TABLE_NAME
    dynamodb().meta.client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": inventory,
                    "Key": {"productId": product},
                    "UpdateExpression": "ADD demand :quantity",
                    "ExpressionAttributeValues": {":quantity": quantity},
                }
            }
            for product, quantity in quantities.items()
        ]
    )

