"""Who may do what, end to end: tokens of the stack's user pool, the gateway's authorizer and
the handlers' rules, over HTTP only."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

ITEMS = [{"productId": "p-auth", "quantity": 1}]


def order_for(session, customer_id=None, **extra):
    body = {"items": ITEMS, "amount": 10, "paymentToken": "tok_visa", **extra}
    if customer_id:
        body["customerId"] = customer_id
    return session.post("/orders", json=body)


@pytest.fixture(scope="module")
def ada(caller):
    return caller(name="Ada")


@pytest.fixture(scope="module")
def bob(caller):
    return caller(name="Bob")


def test_two_users_cannot_see_each_others_data(ada, bob):
    placed = order_for(ada)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orderId"]
    assert placed.json()["customerId"] == ada.sub

    assert bob.get(f"/users/{ada.sub}").status_code == 403
    assert bob.put(f"/users/{ada.sub}", json={"name": "Mallory"}).status_code == 403
    assert bob.delete(f"/users/{ada.sub}").status_code == 403
    hidden = bob.get(f"/orders/{order_id}")
    assert hidden.status_code == 404
    assert hidden.json() == {"message": f"Order {order_id} not found"}
    # untouched, and still the owner's to see
    assert ada.get(f"/users/{ada.sub}").json()["name"] == "Ada"
    assert ada.get(f"/orders/{order_id}").status_code == 200


def test_an_admin_reads_any_user_and_order(caller, ada):
    admin = caller(admin=True, name="Root")
    order_id = order_for(ada).json()["orderId"]
    assert admin.get(f"/users/{ada.sub}").json()["email"] == ada.email
    assert admin.get(f"/orders/{order_id}").json()["customerId"] == ada.sub


def test_an_order_for_another_customer_is_refused(ada, bob):
    refused = order_for(bob, customer_id=ada.sub)
    assert refused.status_code == 403
    assert refused.json() == {"message": "You may only place orders for yourself"}


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "Bearer", "eyJhbGciOiJub25lIn0.e30."])
def test_requests_without_a_valid_token_are_401_with_cors(anonymous, ada, token):
    headers = {} if token is None else {"Authorization": token}
    for method, path in (("GET", f"/users/{ada.sub}"), ("POST", "/orders"),
                         ("DELETE", f"/users/{ada.sub}")):
        response = anonymous.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == {"message": "Unauthorized"}
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_readme_token_command_gives_a_working_token(local_cloud, anonymous):
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "token", "--user", "readme@example.com",
         "--port", str(local_cloud.port)],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    created = anonymous.post("/users", json={"name": "Readme"},
                             headers={"Authorization": token})
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "readme@example.com"
    assert json.loads(anonymous.get(f"/users/{created.json()['userId']}",
                                    headers={"Authorization": token}).text)["name"] == "Readme"
