"""Seed product stock in the inventory table.

    python scripts/seed_stock.py --table NAME --product p-1=10 --product p-2=5 [--endpoint-url URL]

Sets `stock` to the given count for each product (other attributes, such as `demand`, are kept),
so running it twice gives the same result.
"""

from __future__ import annotations

import argparse
import sys

import boto3


def parse_product(value: str) -> tuple[str, int]:
    """Parse "p-1=10" into ("p-1", 10)."""
    product, sep, count = value.partition("=")
    if not sep or not product.strip() or not count.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected PRODUCT=COUNT with COUNT >= 0, got {value!r}")
    return product.strip(), int(count)


def seed(table_name: str, stock: dict[str, int], endpoint_url: str | None = None) -> None:
    table = boto3.resource("dynamodb", endpoint_url=endpoint_url).Table(table_name)
    for product, count in stock.items():
        table.update_item(
            Key={"productId": product},
            UpdateExpression="SET stock = :stock",
            ExpressionAttributeValues={":stock": count},
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Set product stock in the inventory table.")
    parser.add_argument("--table", required=True, help="inventory table name")
    parser.add_argument(
        "--product", required=True, action="append", type=parse_product, metavar="ID=COUNT",
        help="product id and stock count; repeat for more products",
    )
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint (e.g. the local cloud)")
    args = parser.parse_args(argv)
    stock = dict(args.product)
    seed(args.table, stock, args.endpoint_url)
    for product, count in stock.items():
        print(f"{product}: stock {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
