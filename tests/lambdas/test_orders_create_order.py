"""create-order: POST /orders -> PLACED order (its stream record becomes one `Order Placed`
event through the outbox), idempotent by key."""

from __future__ import annotations

import json

import pytest

from lambdas.orders import create_order
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.conftest import CALLER, cognito_claims
from tests.lambdas.order_fixtures import CUSTOMER_EMAIL, CUSTOMER_ID

BODY = {
    "customerId": CUSTOMER_ID,
    "items": [{"productId": "p-1", "quantity": 2}, {"productId": "p-2", "quantity": 1}],
    "amount": 1250.75,
    "paymentToken": "tok_visa",
}


@pytest.fixture
def post_order(order_cloud, api_event, lambda_context):
    order_cloud.add_customer()

    def post(body=BODY, key: str | None = None, claims=CALLER):
        headers = {"Idempotency-Key": key} if key is not None else None
        event = api_event("POST", "/orders", "/orders", body=body, headers=headers, claims=claims)
        response = create_order.handler(event, lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return post


def stored_orders(order_cloud):
    return order_cloud.tables["orders"].scan()["Items"]


def test_order_is_placed_and_announced(order_cloud, post_order):
    status, order = post_order()

    assert status == 201
    assert order["status"] == "PLACED"
    assert order["customerEmail"] == CUSTOMER_EMAIL
    assert order["amount"] == 1250.75
    assert "paymentToken" not in order
    [stored] = stored_orders(order_cloud)
    assert stored["orderId"] == order["orderId"]
    assert stored["paymentToken"] == "tok_visa"
    assert stored["createdDate"] == stored["createdAt"][:10]
    assert [entry["status"] for entry in stored["history"]] == ["PLACED"]

    [event] = order_cloud.published_events()
    assert (event["source"], event["detail-type"]) == ("order.service", "Order Placed")
    assert event["detail"] == {
        "orderId": order["orderId"],
        "customerId": CUSTOMER_ID,
        "customerEmail": CUSTOMER_EMAIL,
        "amount": 1250.75,  # a JSON number, so `amount > 1000` patterns match
        "items": BODY["items"],
        "timestamp": event["detail"]["timestamp"],
    }
    assert event["detail"]["timestamp"].startswith(stored["createdDate"])


def test_same_idempotency_key_gives_one_order_and_one_event(order_cloud, post_order):
    first = post_order(key="key-1")
    second = post_order(key="key-1")

    assert first[0] == second[0] == 201
    assert second[1] == first[1]
    assert len(stored_orders(order_cloud)) == 1
    assert len(order_cloud.published_events()) == 1


def test_key_header_name_is_case_insensitive(order_cloud, post_order, api_event, lambda_context):
    _, first = post_order(key="key-1")
    event = api_event("POST", "/orders", "/orders", body=BODY, headers={"idempotency-key": "key-1"})

    response = create_order.handler(event, lambda_context)

    assert json.loads(response["body"])["orderId"] == first["orderId"]
    assert len(stored_orders(order_cloud)) == 1


def test_without_a_key_each_call_is_a_new_order(order_cloud, post_order):
    _, first = post_order()
    _, second = post_order()

    assert first["orderId"] != second["orderId"]
    assert len(stored_orders(order_cloud)) == 2
    assert len(order_cloud.published_events()) == 2


def test_different_keys_are_different_orders(order_cloud, post_order):
    post_order(key="key-1")
    post_order(key="key-2")

    assert len(stored_orders(order_cloud)) == 2


def test_key_reused_with_another_body_is_refused(order_cloud, post_order):
    post_order(key="key-1")

    status, body = post_order(body={**BODY, "amount": 1.0}, key="key-1")

    assert status == 422
    assert "Idempotency-Key" in body["message"]
    assert len(stored_orders(order_cloud)) == 1


def test_unregistered_caller_is_unprocessable(order_cloud, post_order):
    status, body = post_order(body={k: v for k, v in BODY.items() if k != "customerId"},
                              claims=cognito_claims("nobody", "nobody@example.com"))

    assert status == 422
    assert body == {"message": "Customer nobody does not exist"}
    assert stored_orders(order_cloud) == []
    assert order_cloud.published_events() == []


def test_customer_defaults_to_the_caller(order_cloud, post_order):
    status, order = post_order(body={k: v for k, v in BODY.items() if k != "customerId"})

    assert status == 201 and order["customerId"] == CUSTOMER_ID


@pytest.mark.parametrize("groups", [(), ("admin",)])
def test_an_order_for_another_customer_is_forbidden(order_cloud, post_order, groups):
    order_cloud.add_customer("c-2", "bob@example.com")

    status, body = post_order(body={**BODY, "customerId": "c-2"},
                              claims=cognito_claims(CUSTOMER_ID, CUSTOMER_EMAIL, groups))

    assert status == 403
    assert body == {"message": "You may only place orders for yourself"}
    assert stored_orders(order_cloud) == [] and order_cloud.published_events() == []


def test_without_claims_is_401(order_cloud, post_order):
    status, body = post_order(claims=None)

    assert (status, body) == (401, {"message": "Unauthorized"})
    assert stored_orders(order_cloud) == []


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "items": []},
        {**BODY, "items": [{"productId": "p-1", "quantity": 0}]},
        {**BODY, "amount": -5},
        {key: value for key, value in BODY.items() if key != "paymentToken"},
    ],
)
def test_invalid_body_is_a_bad_request(order_cloud, post_order, body):
    status, response = post_order(body=body)

    assert status == 400
    assert response["message"].startswith("Invalid request")
    assert stored_orders(order_cloud) == []


def test_create_order_only_writes_the_event_leaves_through_the_stream(order_cloud, post_order,
                                                                     aws_calls):
    status, order = post_order(key="key-1")
    calls = list(aws_calls)

    assert status == 201
    assert ("dynamodb", "PutItem") in calls
    assert not [call for call in calls if call[0] == "events"]  # the outbox publishes
    [event] = order_cloud.published_events()
    assert event["detail"]["orderId"] == order["orderId"]
