"""Who may do what, for every API route: the caller comes from the authorizer's claims.

Owner -> allowed; another caller -> 403 on users (404 on orders, which reveal nothing);
`admin` -> allowed to read (and manage) any user and read any order; no claims -> 401.
"""

from __future__ import annotations

import json

import pytest

from lambdas.orders import create_order, get_order
from lambdas.users import create_user, delete_user, get_user, update_user
from tests.lambdas.conftest import cognito_claims
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)

OWNER = cognito_claims("c-1", "ada@example.com")
OTHER = cognito_claims("c-2", "bob@example.com")
ADMIN = cognito_claims("a-1", "root@example.com", groups=("ops", "admin"))
ORDER = {"items": [{"productId": "p-1", "quantity": 1}], "amount": 5, "paymentToken": "tok_visa"}

# route -> (handler, method, path, resource, path parameters, body)
ROUTES = {
    "get-user": (get_user, "GET", "/users/c-1", "/users/{userId}", {"userId": "c-1"}, None),
    "update-user": (update_user, "PUT", "/users/c-1", "/users/{userId}", {"userId": "c-1"},
                    {"name": "Ada L."}),
    "delete-user": (delete_user, "DELETE", "/users/c-1", "/users/{userId}", {"userId": "c-1"},
                    None),
    "get-order": (get_order, "GET", "/orders/o-1", "/orders/{orderId}", {"orderId": "o-1"}, None),
}


@pytest.fixture
def call(order_cloud, api_event, lambda_context):
    order_cloud.add_customer("c-1", "ada@example.com")
    order_cloud.add_customer("c-2", "bob@example.com")
    order_cloud.add_order("o-1")  # customer c-1

    def invoke(route: str, claims):
        module, method, path, resource, params, body = ROUTES[route]
        event = api_event(method, path, resource, body=body, path_parameters=params, claims=claims)
        response = module.handler(event, lambda_context)
        return response["statusCode"], json.loads(response["body"] or "null")

    return invoke


@pytest.mark.parametrize("route", ROUTES)
def test_the_owner_is_allowed(call, route):
    status, _ = call(route, OWNER)
    assert status in (200, 204)


@pytest.mark.parametrize(("route", "status", "message"), [
    ("get-user", 403, "You may only access your own user"),
    ("update-user", 403, "You may only access your own user"),
    ("delete-user", 403, "You may only access your own user"),
    ("get-order", 404, "Order o-1 not found"),
])
def test_another_caller_is_refused(call, order_cloud, route, status, message):
    assert call(route, OTHER) == (status, {"message": message})
    assert order_cloud.tables["users"].get_item(Key={"userId": "c-1"})["Item"]["name"] == "Ada"


@pytest.mark.parametrize("route", ROUTES)
def test_an_admin_is_allowed(call, route):
    status, _ = call(route, ADMIN)
    assert status in (200, 204)


@pytest.mark.parametrize("route", ROUTES)
def test_without_claims_every_route_is_401(call, route):
    assert call(route, None) == (401, {"message": "Unauthorized"})


def test_a_group_named_like_admin_is_not_admin(call):
    lookalike = cognito_claims("c-2", "bob@example.com", groups=("administrators", "admin-x"))
    assert call("get-user", lookalike)[0] == 403


def test_an_admin_cannot_reach_an_email_uniqueness_item(call, api_event, lambda_context):
    event = api_event("GET", "/users/EMAIL#ada@example.com", "/users/{userId}",
                      path_parameters={"userId": "EMAIL#ada@example.com"}, claims=ADMIN)
    assert get_user.handler(event, lambda_context)["statusCode"] == 404


def test_create_routes_act_for_the_caller(order_cloud, api_event, lambda_context):
    event = api_event("POST", "/users", "/users", body={"name": "Cy"},
                      claims=cognito_claims("c-3", "cy@example.com"))
    assert json.loads(create_user.handler(event, lambda_context)["body"])["userId"] == "c-3"
    event = api_event("POST", "/orders", "/orders", body=ORDER,
                      claims=cognito_claims("c-3", "cy@example.com"))
    response = create_order.handler(event, lambda_context)
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["customerId"] == "c-3"
