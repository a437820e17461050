"""The id rule (lambdas/shared/schemas/ids.py) on every route: path ids decoded as AWS decodes
`pathParameters`, malformed ids and keys refused with a 400 naming them before any AWS call."""

from __future__ import annotations

import json

import pytest

from lambdas.orders import create_order, get_order
from lambdas.shared.schemas.ids import ENTITY_ID, IDEMPOTENCY_KEY
from lambdas.users import delete_user, get_user, update_user
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import CUSTOMER_ID

MALFORMED_IDS = ["x" * 65, "a b", "a\u0000b", "caf\u00e9", "a/b", "a%zz", "\u202e"]
ROUTES = [
    (get_user, "GET", "/users/{userId}", "userId", None),
    (update_user, "PUT", "/users/{userId}", "userId", {"name": "Ann"}),
    (delete_user, "DELETE", "/users/{userId}", "userId", None),
    (get_order, "GET", "/orders/{orderId}", "orderId", None),
]


def call(module, api_event, lambda_context, method, resource, name, value, body=None, encoded=None):
    path = resource.replace("{" + name + "}", encoded if encoded is not None else value)
    event = api_event(method, path, resource, body=body, path_parameters={name: value})
    response = module.handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"] or "null")


@pytest.mark.parametrize("value", ["c-1", "6f1c3f0e-8d2a-4f6b-9a57-0c4e2b8d9e31", "A.b_c:D-9", "x" * 64])
def test_entity_id_rule_accepts_what_we_issue_and_seed(value):
    assert ENTITY_ID.problem(value) is None


@pytest.mark.parametrize("value", ["", None, 5, *MALFORMED_IDS])
def test_entity_id_rule_refuses_the_rest(value):
    assert ENTITY_ID.problem(value) == "must be 1 to 64 characters: letters, digits, '.', '_', ':', '-'"


@pytest.mark.parametrize(("module", "method", "resource", "name", "body"), ROUTES)
@pytest.mark.parametrize("value", MALFORMED_IDS)
def test_malformed_path_id_is_a_400_naming_it_before_any_aws_call(
    tables, monkeypatch, api_event, lambda_context, module, method, resource, name, body, value
):
    # Tables that do not exist: any AWS call would be a 500.
    monkeypatch.setenv("USERS_TABLE_NAME", "absent")
    monkeypatch.setenv("ORDERS_TABLE_NAME", "absent")

    status, response = call(module, api_event, lambda_context, method, resource, name, value, body,
                            encoded="x")

    assert status == 400
    assert response == {"message": f"Invalid request: {name}: {ENTITY_ID.message}"}


@pytest.mark.parametrize("with_path_parameters", [True, False])
def test_path_id_is_the_decoded_value(order_cloud, api_event, lambda_context, with_path_parameters):
    order_cloud.add_order("o-1")
    event = api_event("GET", "/orders/o%2D1", "/orders/{orderId}",
                      path_parameters={"orderId": "o-1"} if with_path_parameters else None)

    response = get_order.handler(event, lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["orderId"] == "o-1"


def test_encoded_space_reaches_the_rule_decoded(tables, api_event, lambda_context):
    status, response = call(get_user, api_event, lambda_context, "GET", "/users/{userId}", "userId", "a b",
                            encoded="a%20b")

    assert status == 400
    assert response["message"].startswith("Invalid request: userId:")


@pytest.fixture
def post_order(order_cloud, api_event, lambda_context):
    order_cloud.add_customer()

    def post(body, key=None):
        headers = {"Idempotency-Key": key} if key is not None else None
        response = create_order.handler(api_event("POST", "/orders", "/orders", body=body, headers=headers), lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return post


def order_body(**overrides):
    return {"customerId": CUSTOMER_ID, "items": [{"productId": "p-1", "quantity": 1}], "amount": 5,
            "paymentToken": "tok_visa", **overrides}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customerId": "c 1"}, "customerId"),
        ({"customerId": "c" * 2049}, "customerId"),
        ({"items": [{"productId": "p\u0000", "quantity": 1}]}, "items.0.productId"),
        ({"items": [{"productId": "p" * 65, "quantity": 1}]}, "items.0.productId"),
    ],
)
def test_malformed_body_id_is_a_400_naming_it(order_cloud, post_order, overrides, field):
    status, response = post_order(order_body(**overrides))

    assert status == 400
    assert response["message"] == f"Invalid request: {field}: {ENTITY_ID.message}"
    assert order_cloud.tables["orders"].scan()["Items"] == []


@pytest.mark.parametrize("key", ["k" * 129, "a b", "k\u00e9y"])
def test_malformed_idempotency_key_is_a_400_naming_it(order_cloud, post_order, key):
    status, response = post_order(order_body(), key=key)

    assert status == 400
    assert response["message"] == f"Invalid request: Idempotency-Key: {IDEMPOTENCY_KEY.message}"
    assert order_cloud.tables["orders"].scan()["Items"] == []
