"""Shared fixtures for the Lambda handler tests.

- `aws`: moto's `mock_aws` with fake credentials and region eu-west-1.
- `tables`: every table of docs/contracts.md, created in moto, with the handler env vars set;
  returns {"users": Table, "orders": Table, ...} (boto3 Table resources).
- `lambda_context`: a Lambda context object.
- `stdout_json()`: the JSON lines this test printed (Powertools logs and EMF metrics).
- `api_event(method, path, resource, body=None, path_parameters=None, headers=None,
  claims=CALLER)`: an API Gateway REST (v1 proxy) event, built from the real sample in
  events/apigw_rest_v1.json, with the Cognito authorizer's `claims` (None: no authorizer ran).
- `cognito_claims(sub, email, groups)`: claims shaped as a REST API's Cognito authorizer passes
  them (every value a string, groups comma-separated, dates as text).
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdas.shared.dal import dynamo
from lambdas.shared.plumbing import observability

REGION = "eu-west-1"
EVENTS_DIR = Path(__file__).parent / "events"
DEFAULT_ORIGIN = "https://app.example.com"  # the Origin header of the sample event


def _key(name: str) -> dict[str, Any]:
    """A table keyed by the string attribute `name` alone."""
    return {
        "KeySchema": [{"AttributeName": name, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"}],
    }


# Logical name -> (env var holding the table name, create_table arguments), per docs/contracts.md.
TABLES: dict[str, tuple[str, dict[str, Any]]] = {
    "users": ("USERS_TABLE_NAME", _key("userId")),
    "orders": (
        "ORDERS_TABLE_NAME",
        {
            "KeySchema": [{"AttributeName": "orderId", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "orderId", "AttributeType": "S"},
                {"AttributeName": "createdDate", "AttributeType": "S"},
                {"AttributeName": "createdAt", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
                {"AttributeName": "updatedAt", "AttributeType": "S"},
                {"AttributeName": "confirmationEmailPending", "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "byCreatedDate",
                    "KeySchema": [
                        {"AttributeName": "createdDate", "KeyType": "HASH"},
                        {"AttributeName": "createdAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                *[{"IndexName": name,
                   "KeySchema": [{"AttributeName": key, "KeyType": "HASH"},
                                 {"AttributeName": "updatedAt", "KeyType": "RANGE"}],
                   "Projection": {"ProjectionType": "ALL"}}
                  for name, key in (("byStatus", "status"),
                                    ("byConfirmationEmailPending", "confirmationEmailPending"))],
            ],
            # The outbox: the order pipe reads new orders from the stream.
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        },
    ),
    "idempotency": ("IDEMPOTENCY_TABLE_NAME", _key("id")),
    "payments": ("PAYMENTS_TABLE_NAME", _key("orderId")),
    "inventory": ("INVENTORY_TABLE_NAME", _key("productId")),
    "reports": ("REPORTS_TABLE_NAME", _key("reportDate")),
}


class _CurrentStdout:
    """A stream that writes to whatever sys.stdout is now (pytest swaps it for every test)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _follow_stdout(service: str) -> None:
    # Powertools configures a service's standard logger once per process, with a handler bound
    # to the stdout of that moment: a capture that pytest closes after the test.
    for handler in logging.getLogger(service).handlers:
        if type(handler) is logging.StreamHandler:
            handler.stream = _CurrentStdout()


@pytest.fixture(autouse=True)
def _new_container() -> Iterator[None]:
    """Each test starts like a fresh Lambda container: no cached clients or Powertools objects,
    so they pick up the environment the test sets."""
    caches = (dynamo.dynamodb, dynamo.table, observability.get_logger, observability.get_tracer, observability.get_metrics)
    for cached in caches:
        cached.cache_clear()
    yield
    if observability.get_logger.cache_info().currsize:
        _follow_stdout(observability.get_logger().service)
    for cached in caches:
        cached.cache_clear()


# The stack setting's default (api.maxOrderAmount).
MAX_ORDER_AMOUNT = 1_000_000


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS call, with fake credentials; nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def tables(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """All tables of the contract, created empty; env vars name them as the handlers expect."""
    resource = boto3.resource("dynamodb", region_name=REGION)
    created: dict[str, Any] = {}
    for logical, (env_var, schema) in TABLES.items():
        name = f"{logical}-test"
        table = resource.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **schema)
        table.wait_until_exists()
        monkeypatch.setenv(env_var, name)
        created[logical] = table
    resource.meta.client.update_time_to_live(
        TableName=created["idempotency"].name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tests")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "OrderPlatform")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("ALLOWED_ORIGINS", "*")
    monkeypatch.setenv("MAX_ORDER_AMOUNT", str(MAX_ORDER_AMOUNT))
    return created


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:test-function"
    memory_limit_in_mb: int = 128
    aws_request_id: str = "3e1b7f4c-0c7a-4b6f-9f0e-6d2f0a1c2b3d"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2024/01/01/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


ApiEventFactory = Callable[..., dict[str, Any]]

POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1"


def cognito_claims(sub: str, email: str | None = None, groups: tuple[str, ...] = ()) -> dict[str, str]:
    """The `requestContext.authorizer.claims` of an ID token, as API Gateway REST shapes them."""
    claims = {
        "sub": sub,
        "aud": "testclient1",
        "iss": POOL_ISSUER,
        "token_use": "id",
        "cognito:username": sub,
        "auth_time": "1583798639",
        "iat": "Tue Mar 10 00:03:59 UTC 2020",
        "exp": "Tue Mar 10 01:03:59 UTC 2020",
    }
    if email:
        claims |= {"email": email, "email_verified": "true"}
    if groups:
        claims["cognito:groups"] = ",".join(groups)
    return claims


# The default caller of `api_event`: the customer of tests/lambdas/order_fixtures.py.
CALLER_SUB = "c-1"
CALLER = cognito_claims(CALLER_SUB, "ada@example.com")


@pytest.fixture
def api_event() -> ApiEventFactory:
    """Build an API Gateway REST v1 proxy event.

    `body` may be a dict/list (JSON-encoded) or a str (sent as is, e.g. invalid JSON).
    `headers` are merged over the sample's headers (which include Origin and
    Content-Type: application/json); a header given as None is removed.
    Each event gets a fresh requestContext.requestId (the correlation id).
    """
    sample = json.loads((EVENTS_DIR / "apigw_rest_v1.json").read_text())

    def build(
        method: str,
        path: str,
        resource: str,
        body: Any = None,
        path_parameters: dict[str, str] | None = None,
        headers: dict[str, str | None] | None = None,
        claims: dict[str, str] | None = CALLER,
    ) -> dict[str, Any]:
        event = copy.deepcopy(sample)
        merged = dict(event["headers"])
        for name, value in (headers or {}).items():
            # Replace case-insensitively, as HTTP header names are.
            merged = {key: val for key, val in merged.items() if key.lower() != name.lower()}
            if value is not None:
                merged[name] = value
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        stage = event["requestContext"]["stage"]
        event.update(
            resource=resource,
            path=path,
            httpMethod=method.upper(),
            headers=merged,
            multiValueHeaders={key: [value] for key, value in merged.items()},
            pathParameters=path_parameters,
            body=body,
            isBase64Encoded=False,
        )
        event["requestContext"].update(
            resourcePath=resource,
            httpMethod=method.upper(),
            path=f"/{stage}{path}",
            requestId=str(uuid.uuid4()),
        )
        if claims is not None:
            event["requestContext"]["authorizer"] = {"claims": dict(claims)}
        return event

    return build


@pytest.fixture
def stdout_json(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """Return a reader of the JSON lines printed so far: structured logs and EMF metric blobs."""

    def read() -> list[dict[str, Any]]:
        lines = capsys.readouterr().out.splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    return read


@pytest.fixture
def aws_calls(monkeypatch) -> list[tuple[str, str]]:
    """The (service, operation) of every AWS call the test's thread makes from here on.

    Only this thread's: a session-wide local cloud (tests/e2e) keeps polling in background
    threads of the same process while this directory runs."""
    from botocore.client import BaseClient

    calls: list[tuple[str, str]] = []
    real_call = BaseClient._make_api_call
    test_thread = threading.get_ident()

    def recording(client, operation, params):
        if threading.get_ident() == test_thread:
            calls.append((client.meta.service_model.service_name, operation))
        return real_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return calls

