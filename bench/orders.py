"""Order-flow steps shared by the benchmarks: a customer, stock, an order and its outcome."""

from __future__ import annotations

import time
import uuid

from bench.cloud import ApiSession, CloudProcess

FINAL = {"CONFIRMED", "REJECTED", "REFUNDED"}


def create_customer(api: ApiSession) -> str:
    response = api.post("/users", json={"email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                                        "name": "Bench"})
    response.raise_for_status()
    return response.json()["userId"]


def seed_stock(cloud: CloudProcess, units: int) -> str:
    """A new product with `units` in stock, written straight into the inventory table."""
    product = f"bench-{uuid.uuid4().hex[:8]}"
    cloud.aws("dynamodb").put_item(TableName=cloud.outputs["InventoryTableName"], Item={
        "productId": {"S": product}, "stock": {"N": str(units)}})
    return product


def order_body(customer_id: str, product: str) -> dict:
    return {"customerId": customer_id, "items": [{"productId": product, "quantity": 1}],
            "amount": 25, "paymentToken": "tok_visa"}


def place_order(api: ApiSession, customer_id: str, product: str) -> str:
    response = api.post("/orders", json=order_body(customer_id, product))
    response.raise_for_status()
    return response.json()["orderId"]


def wait_final(api: ApiSession, order_id: str, *, timeout: float = 90,
               interval: float = 0.05) -> dict:
    """Poll GET /orders/{id} until the order reaches a final status; returns the order."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = api.get(f"/orders/{order_id}").json()
        if order.get("status") in FINAL:
            return order
        time.sleep(interval)
    raise TimeoutError(f"order {order_id} not final after {timeout}s")
