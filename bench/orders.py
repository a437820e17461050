"""Order-flow steps shared by the benchmarks: a customer, stock, an order and its outcome."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from bench.cloud import ApiSession, CloudProcess

FINAL = {"CONFIRMED", "REJECTED", "REFUNDED"}


@dataclass(frozen=True)
class Customer:
    """A signed-in, registered user: their id, email, ID token and an HTTP session with it."""

    user_id: str
    email: str
    token: str
    api: ApiSession


def create_customer(cloud: CloudProcess) -> Customer:
    """A new user of the stack's pool, signed in and registered with POST /users."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    token = cloud.sign_in(email)
    api = cloud.api(token)
    response = api.post("/users", json={"name": "Bench"})
    response.raise_for_status()
    return Customer(response.json()["userId"], email, token, api)


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


def customer_with_stock(cloud: CloudProcess, units: int) -> tuple[Customer, str]:
    """A signed-in customer and a product with `units` in stock, after one order to its final
    status (the cold starts of the order path are paid)."""
    customer = create_customer(cloud)
    product = seed_stock(cloud, units)
    wait_final(customer.api, place_order(customer.api, customer.user_id, product))
    return customer, product
