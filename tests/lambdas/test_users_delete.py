"""delete-user: DELETE /users/{userId}."""

import json

import pytest

from lambdas.users import delete_user


@pytest.fixture
def delete(api_event, lambda_context):
    def call(user_id):
        event = api_event("DELETE", f"/users/{user_id}", "/users/{userId}", path_parameters={"userId": user_id})
        return delete_user.handler(event, lambda_context)

    return call


def test_deletes_the_user_with_204_and_empty_body(tables, delete):
    tables["users"].put_item(Item={"userId": "c-1", "email": "ann@example.com", "name": "Ann"})
    tables["users"].put_item(Item={"userId": "EMAIL#ann@example.com", "ownerId": "c-1"})
    tables["users"].put_item(Item={"userId": "u-2", "email": "bob@example.com", "name": "Bob"})
    tables["users"].put_item(Item={"userId": "EMAIL#bob@example.com", "ownerId": "u-2"})

    response = delete("c-1")

    assert response["statusCode"] == 204
    assert response["body"] == ""
    assert "Item" not in tables["users"].get_item(Key={"userId": "c-1"})
    assert "Item" not in tables["users"].get_item(Key={"userId": "EMAIL#ann@example.com"})
    assert "Item" in tables["users"].get_item(Key={"userId": "u-2"})
    assert "Item" in tables["users"].get_item(Key={"userId": "EMAIL#bob@example.com"})
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_unknown_user_is_404(tables, delete):
    response = delete("c-1")

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "User c-1 not found"}


def test_second_delete_is_404(tables, delete):
    tables["users"].put_item(Item={"userId": "c-1", "email": "ann@example.com", "name": "Ann"})

    assert delete("c-1")["statusCode"] == 204
    assert delete("c-1")["statusCode"] == 404


def test_dynamodb_failure_is_500_without_internals(tables, delete, monkeypatch):
    monkeypatch.setenv("USERS_TABLE_NAME", "no-such-table")

    response = delete("c-1")

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}


def test_an_email_held_by_another_account_is_not_freed(tables, delete):
    tables["users"].put_item(Item={"userId": "c-1", "email": "ann@example.com", "name": "Ann"})
    tables["users"].put_item(Item={"userId": "EMAIL#ann@example.com", "ownerId": "u-9"})

    assert delete("c-1")["statusCode"] == 204
    assert tables["users"].get_item(Key={"userId": "EMAIL#ann@example.com"})["Item"]["ownerId"] == "u-9"
