"""update-user: PUT /users/{userId} (partial update)."""

import json

import pytest

from lambdas.users import update_user

USER = {
    "userId": "c-1",
    "email": "ann@example.com",
    "name": "Ann",
    "age": 34,
    "createdAt": "2024-01-01T00:00:00.000Z",
    "updatedAt": "2024-01-01T00:00:00.000Z",
}


@pytest.fixture
def put(api_event, lambda_context):
    def call(user_id, body):
        event = api_event("PUT", f"/users/{user_id}", "/users/{userId}", body=body, path_parameters={"userId": user_id})
        return update_user.handler(event, lambda_context)

    return call


def test_changes_only_the_fields_sent(tables, put):
    tables["users"].put_item(Item=USER)

    response = put("c-1", {"name": "Annie"})

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    stored = tables["users"].get_item(Key={"userId": "c-1"})["Item"]
    for user in (body, stored):
        assert user["name"] == "Annie"
        assert user["email"] == "ann@example.com" and user["age"] == 34
        assert user["createdAt"] == USER["createdAt"]
        assert user["updatedAt"] > USER["updatedAt"]
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_can_change_every_field_but_the_email(tables, put):
    tables["users"].put_item(Item=USER)

    response = put("c-1", {"name": "  X  ", "age": 0})

    body = json.loads(response["body"])
    assert (body["email"], body["name"], body["age"]) == ("ann@example.com", "X", 0)


def test_the_email_belongs_to_the_user_pool(tables, put):
    tables["users"].put_item(Item=USER)

    response = put("c-1", {"email": "x@example.org"})

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["message"].startswith("Invalid request: email: ")


def test_unknown_user_is_404_and_nothing_is_created(tables, put):
    response = put("c-1", {"name": "Ghost"})

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "User c-1 not found"}
    assert tables["users"].scan()["Count"] == 0


def test_empty_update_is_400(tables, put):
    tables["users"].put_item(Item=USER)

    response = put("c-1", {})

    assert response["statusCode"] == 400
    assert "at least one of name, age is required" in json.loads(response["body"])["message"]


def test_null_field_is_400_and_user_unchanged(tables, put):
    tables["users"].put_item(Item=USER)

    response = put("c-1", {"name": None})

    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Invalid request: name: must not be null"}
    assert tables["users"].get_item(Key={"userId": "c-1"})["Item"]["name"] == "Ann"


def test_invalid_json_is_400(tables, put):
    response = put("c-1", "name=Annie")

    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Request body is not valid JSON"}


def test_dynamodb_failure_is_500_without_internals(tables, put, monkeypatch):
    monkeypatch.setenv("USERS_TABLE_NAME", "no-such-table")

    response = put("c-1", {"name": "Annie"})

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}
