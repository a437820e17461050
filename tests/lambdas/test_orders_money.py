"""create-order: money is an exact decimal from the JSON text to the table and the event,
bounded (two fractional digits, the configured maximum), and every number of an order is bounded;
anything else is a 400 naming the field, before anything is stored or published."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from lambdas.orders import create_order
from tests.lambdas.conftest import MAX_ORDER_AMOUNT
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import CUSTOMER_ID

ITEMS = '[{"productId": "p-1", "quantity": 2}]'


def body(amount: str = "19.99", items: str = ITEMS) -> str:
    """A request body as raw JSON text, so numbers reach the handler exactly as written."""
    return (f'{{"customerId": "{CUSTOMER_ID}", "items": {items}, "amount": {amount}, '
            f'"paymentToken": "tok_visa"}}')


@pytest.fixture
def post_raw(order_cloud, api_event, lambda_context):
    order_cloud.add_customer()

    def post(text: str):
        response = create_order.handler(api_event("POST", "/orders", "/orders", body=text), lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return post


@pytest.mark.parametrize("amount", ["0.1", "19.99", "999999.99", "1000000", "0", "1e2", "12.50"])
def test_amount_is_stored_and_published_exactly(order_cloud, post_raw, amount):
    status, order = post_raw(body(amount))

    assert status == 201, order
    [stored] = order_cloud.tables["orders"].scan()["Items"]
    assert stored["amount"] == Decimal(amount)
    [event] = order_cloud.published_events()
    # A JSON number (the high-value rule matches numbers only) whose text is the exact value.
    assert isinstance(event["detail"]["amount"], (int, float))
    assert Decimal(repr(event["detail"]["amount"])) == Decimal(amount)
    assert Decimal(repr(order["amount"])) == Decimal(amount)


@pytest.mark.parametrize("amount", [
    "19.999",                      # three fractional digits
    "0.001",
    "1000000.01",                  # above the configured maximum
    "1e400",                       # finite JSON, far past DynamoDB's range
    "1e-400",                      # tinier than DynamoDB can store
    "9" * 5000,                    # more digits than Python turns into an int
    "-0.01",
    '"10"',
    "true",
    "NaN",
    "Infinity",
    "[1]",
])
def test_bad_amount_is_a_400_naming_amount_and_nothing_is_stored(order_cloud, post_raw, amount):
    status, error = post_raw(body(amount))

    assert status == 400
    assert "amount" in error["message"]
    assert order_cloud.tables["orders"].scan()["Items"] == []
    assert order_cloud.published_events() == []


def test_the_maximum_is_the_configured_one(order_cloud, post_raw, monkeypatch):
    monkeypatch.setenv("MAX_ORDER_AMOUNT", "100")
    assert post_raw(body("100"))[0] == 201
    status, error = post_raw(body("100.01"))
    assert status == 400 and error["message"] == "Invalid request: amount: must be at most 100"
    assert MAX_ORDER_AMOUNT == 1_000_000  # the default the other tests run with


@pytest.mark.parametrize("quantity", ["1001", "0", "1.0", "1e400", "9" * 5000, '"2"', "true"])
def test_bad_quantity_is_a_400_naming_it(order_cloud, post_raw, quantity):
    status, error = post_raw(body(items=f'[{{"productId": "p-1", "quantity": {quantity}}}]'))

    assert status == 400
    assert "items.0.quantity" in error["message"]
    assert order_cloud.tables["orders"].scan()["Items"] == []


def test_a_deeply_nested_body_is_a_400(post_raw):
    status, error = post_raw("[" * 100_000 + "]" * 100_000)

    assert status == 400 and error["message"]
