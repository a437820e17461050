"""get-user: GET /users/{userId}."""

import json
from decimal import Decimal

import pytest

from lambdas.users import get_user

USER = {
    "userId": "c-1",
    "email": "ann@example.com",
    "name": "Ann",
    "age": Decimal(34),
    "createdAt": "2024-01-01T00:00:00.000Z",
    "updatedAt": "2024-01-02T00:00:00.000Z",
}


@pytest.fixture
def get(api_event, lambda_context):
    def call(user_id, headers=None):
        event = api_event("GET", f"/users/{user_id}", "/users/{userId}", path_parameters={"userId": user_id}, headers=headers)
        return get_user.handler(event, lambda_context)

    return call


def test_returns_the_user(tables, get):
    tables["users"].put_item(Item=USER)

    response = get("c-1")

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body == {**USER, "age": 34}
    assert type(body["age"]) is int  # a JSON number, not "34"
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_unknown_user_is_404(tables, get):
    response = get("c-1")

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "User c-1 not found"}
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_dynamodb_failure_is_500_without_internals(tables, get, monkeypatch):
    monkeypatch.setenv("USERS_TABLE_NAME", "no-such-table")

    response = get("c-1")

    assert response["statusCode"] == 500
    assert response["body"] == '{"message":"Internal server error"}'
