"""Behaviour every API handler gets from lambdas/shared/api.py, exercised through the users API:
CORS, error bodies, correlation id in logs, metrics."""

import base64
import json

import pytest

from lambdas.users import create_user, get_user

ALLOWED = "https://app.example.com,https://admin.example.com"


@pytest.fixture
def get(api_event, lambda_context):
    def call(user_id="c-1", path=None, headers=None, method="GET"):
        event = api_event(method, path or f"/users/{user_id}", "/users/{userId}", path_parameters={"userId": user_id}, headers=headers)
        return event, get_user.handler(event, lambda_context)

    return call


def test_listed_origin_is_echoed(tables, get, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", ALLOWED)

    _, response = get(headers={"Origin": "https://admin.example.com"})

    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://admin.example.com"]
    assert "Content-Type" in response["multiValueHeaders"]["Access-Control-Allow-Headers"][0]


def test_unlisted_origin_gets_no_cors_headers(tables, get, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", ALLOWED)

    _, response = get(headers={"Origin": "https://evil.example.net"})

    assert response["statusCode"] == 404
    assert "Access-Control-Allow-Origin" not in response["multiValueHeaders"]


def test_request_without_origin_gets_no_cors_headers(tables, get):
    _, response = get(headers={"Origin": None})

    assert response["statusCode"] == 404
    assert "Access-Control-Allow-Origin" not in response["multiValueHeaders"]


def test_no_allowed_origins_means_no_cors_headers(tables, get, monkeypatch):
    monkeypatch.delenv("ALLOWED_ORIGINS")

    _, response = get()

    assert "Access-Control-Allow-Origin" not in response["multiValueHeaders"]


def test_allowed_origins_are_read_on_every_call(tables, get, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://one.example.com")
    _, first = get(headers={"Origin": "https://two.example.com"})
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://two.example.com")
    _, second = get(headers={"Origin": "https://two.example.com"})

    assert "Access-Control-Allow-Origin" not in first["multiValueHeaders"]
    assert second["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://two.example.com"]


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_preflight_is_answered_with_cors_headers(tables, get):
    _, response = get(method="OPTIONS")

    assert response["statusCode"] == 204
    assert "GET" in response["multiValueHeaders"]["Access-Control-Allow-Methods"][0]
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_unknown_route_is_404_json(tables, get):
    _, response = get(path="/elsewhere")

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "Not found"}


def test_logs_carry_the_request_id_as_correlation_id(tables, get, stdout_json):
    event, _ = get("missing")

    lines = stdout_json()
    refused = [line for line in lines if line.get("message") == "Request refused"]
    assert refused and refused[0]["correlation_id"] == event["requestContext"]["requestId"]
    assert refused[0]["function_name"] == "test-function"


def test_unexpected_error_is_logged_but_not_returned(tables, get, monkeypatch, stdout_json):
    monkeypatch.setenv("USERS_TABLE_NAME", "no-such-table")

    _, response = get("c-1")

    assert response["statusCode"] == 500
    assert "ResourceNotFound" not in response["body"] and "no-such-table" not in response["body"]
    errors = [line for line in stdout_json() if line.get("level") == "ERROR"]
    assert errors and "ResourceNotFoundException" in errors[0]["exception"]


def test_missing_table_setting_is_500(tables, get, monkeypatch):
    monkeypatch.delenv("USERS_TABLE_NAME")

    _, response = get("c-1")

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}


def test_outcome_metrics_are_emitted(tables, api_event, lambda_context, stdout_json):
    body = {"name": "Ann"}
    create_user.handler(api_event("POST", "/users", "/users", body=body), lambda_context)
    create_user.handler(api_event("POST", "/users", "/users", body="{"), lambda_context)

    emitted = [line for line in stdout_json() if "_aws" in line]
    names = {metric["Name"] for line in emitted for block in line["_aws"]["CloudWatchMetrics"] for metric in block["Metrics"]}
    assert {"UserCreated", "ClientError"} <= names
    assert {block["Namespace"] for line in emitted for block in line["_aws"]["CloudWatchMetrics"]} == {"OrderPlatform"}


def test_base64_encoded_body_is_decoded(tables, api_event, lambda_context):
    event = api_event("POST", "/users", "/users")
    event["body"] = base64.b64encode(b'{"name": "Ann"}').decode()
    event["isBase64Encoded"] = True

    response = create_user.handler(event, lambda_context)

    assert response["statusCode"] == 201


def test_extra_allowed_headers_are_announced(tables, api_event, lambda_context):
    from lambdas.shared.plumbing.api import create_app, json_response

    app = create_app(allow_headers=["Idempotency-Key"])
    app.get("/ping")(lambda: json_response(200, {"ok": True}))

    response = app.resolve(api_event("GET", "/ping", "/ping"), lambda_context)

    assert "Idempotency-Key" in response["multiValueHeaders"]["Access-Control-Allow-Headers"][0]
