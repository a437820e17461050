"""create-user: POST /users."""

import json
import uuid

import pytest

from lambdas.shared.logic import users
from lambdas.users import create_user

NEW_USER = {"email": "ann@example.com", "name": "Ann", "age": 34}


@pytest.fixture
def post(api_event, lambda_context):
    def call(body, headers=None):
        event = api_event("POST", "/users", "/users", body=body, headers=headers)
        return create_user.handler(event, lambda_context)

    return call


def test_creates_user_with_generated_id_and_timestamps(tables, post):
    response = post(NEW_USER)

    assert response["statusCode"] == 201
    body = json.loads(response["body"])
    assert uuid.UUID(body["userId"]).version == 4
    assert {k: body[k] for k in NEW_USER} == NEW_USER
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].endswith("Z")
    stored = tables["users"].get_item(Key={"userId": body["userId"]})["Item"]
    assert stored["email"] == "ann@example.com" and stored["age"] == 34
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_optional_age_is_not_stored_when_absent(tables, post):
    response = post({"email": "bob@example.com", "name": "Bob"})

    body = json.loads(response["body"])
    assert response["statusCode"] == 201
    assert "age" not in tables["users"].get_item(Key={"userId": body["userId"]})["Item"]


def test_never_overwrites_an_existing_user(tables, post, monkeypatch):
    taken = uuid.UUID("8d4a3b0c-6a51-4f4e-9a39-1c9c2f1f6e2a")
    tables["users"].put_item(Item={"userId": str(taken), "email": "old@example.com", "name": "Old"})
    monkeypatch.setattr(users, "uuid4", lambda: taken)

    response = post(NEW_USER)

    assert response["statusCode"] == 409
    assert json.loads(response["body"]) == {"message": "User already exists"}
    assert tables["users"].get_item(Key={"userId": str(taken)})["Item"]["name"] == "Old"


def test_invalid_json_is_400(tables, post):
    response = post('{"email": "ann@example.com",')

    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Request body is not valid JSON"}
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_missing_body_is_400(tables, post):
    response = post(None)

    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Request body is required"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_USER, "email": "not-an-email"}, "email"),
        ({**NEW_USER, "age": 151}, "age"),
        ({**NEW_USER, "age": "34"}, "age"),
        ({"email": "ann@example.com"}, "name"),
        ({**NEW_USER, "role": "admin"}, "role"),
    ],
)
def test_invalid_field_is_400_naming_the_field(tables, post, body, field):
    response = post(body)

    assert response["statusCode"] == 400
    message = json.loads(response["body"])["message"]
    assert message.startswith(f"Invalid request: {field}: ")
    assert tables["users"].scan()["Count"] == 0


def test_non_object_body_is_400(tables, post):
    response = post([NEW_USER])

    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Invalid request: body: must be a JSON object"}


def test_dynamodb_failure_is_500_without_internals(tables, post, monkeypatch):
    monkeypatch.setenv("USERS_TABLE_NAME", "no-such-table")

    response = post(NEW_USER)

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]
