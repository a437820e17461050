"""create-user: POST /users."""

import json
import pytest

from lambdas.users import create_user, delete_user
from tests.lambdas.conftest import cognito_claims

NEW_USER = {"name": "Ann", "age": 34}


@pytest.fixture
def post(api_event, lambda_context):
    def call(body, headers=None, claims=cognito_claims("s-ann", "Ann@Example.COM")):
        event = api_event("POST", "/users", "/users", body=body, headers=headers, claims=claims)
        return create_user.handler(event, lambda_context)

    return call


def test_registers_the_caller_under_their_sub_with_the_token_email(tables, post):
    response = post(NEW_USER)

    assert response["statusCode"] == 201
    body = json.loads(response["body"])
    assert body["userId"] == "s-ann"
    assert {k: body[k] for k in NEW_USER} == NEW_USER
    assert body["email"] == "Ann@example.com"  # normalised: the domain lower-cased
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].endswith("Z")
    stored = tables["users"].get_item(Key={"userId": "s-ann"})["Item"]
    assert stored["email"] == "Ann@example.com" and stored["age"] == 34
    claim = tables["users"].get_item(Key={"userId": "EMAIL#ann@example.com"})["Item"]
    assert claim == {"userId": "EMAIL#ann@example.com", "ownerId": "s-ann"}
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_optional_age_is_not_stored_when_absent(tables, post):
    response = post({"name": "Bob"})

    assert response["statusCode"] == 201
    assert "age" not in tables["users"].get_item(Key={"userId": "s-ann"})["Item"]


def test_name_is_stripped(tables, post):
    response = post({"name": "  Ann  "})

    assert json.loads(response["body"])["name"] == "Ann"


def test_registering_twice_is_409_and_keeps_the_first(tables, post):
    assert post(NEW_USER)["statusCode"] == 201

    response = post({"name": "Other"})

    assert response["statusCode"] == 409
    assert json.loads(response["body"]) == {"message": "User already exists"}
    assert tables["users"].get_item(Key={"userId": "s-ann"})["Item"]["name"] == "Ann"


def test_one_account_per_email_whatever_its_case(tables, post):
    assert post(NEW_USER)["statusCode"] == 201

    response = post(NEW_USER, claims=cognito_claims("s-other", "ann@EXAMPLE.com"))

    assert response["statusCode"] == 409
    assert json.loads(response["body"]) == {
        "message": "Email ann@example.com is already registered to another account"}
    assert "Item" not in tables["users"].get_item(Key={"userId": "s-other"})


def test_deleting_the_user_frees_the_email(tables, post, api_event, lambda_context):
    assert post(NEW_USER)["statusCode"] == 201
    event = api_event("DELETE", "/users/s-ann", "/users/{userId}", path_parameters={"userId": "s-ann"},
                      claims=cognito_claims("s-ann", "Ann@Example.COM"))
    assert delete_user.handler(event, lambda_context)["statusCode"] == 204

    assert post(NEW_USER, claims=cognito_claims("s-new", "ann@example.com"))["statusCode"] == 201


@pytest.mark.parametrize(("email", "reason"), [
    (None, "the token carries no email claim"),
    ("not-an-email", "An email address must have an @-sign."),
    ("ann\u0007@example.com", "invalid characters"),
])
def test_a_token_email_that_is_missing_or_invalid_is_400(tables, post, email, reason):
    response = post(NEW_USER, claims=cognito_claims("s-ann", email))

    assert response["statusCode"] == 400
    message = json.loads(response["body"])["message"]
    assert message.startswith("Invalid request: email: ") and reason in message
    assert tables["users"].scan()["Count"] == 0


def test_without_claims_is_401(tables, post):
    response = post(NEW_USER, claims=None)

    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {"message": "Unauthorized"}


def test_invalid_json_is_400(tables, post):
    response = post('{"name": "Ann",')

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
        ({**NEW_USER, "email": "ann@example.com"}, "email"),  # the email comes from the token
        ({**NEW_USER, "name": "   "}, "name"),
        ({**NEW_USER, "name": "Ann\u0000"}, "name"),
        ({**NEW_USER, "name": "An\u200bn"}, "name"),
        ({**NEW_USER, "age": 151}, "age"),
        ({**NEW_USER, "age": "34"}, "age"),
        ({"age": 3}, "name"),
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
