"""docs/openapi.json is what the program's REST API is: generated afresh (the program under
the local cloud's deployer, exported as API Gateway's oas30), equal to the file, and valid."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from scripts.openapi import DEFAULT_OUTPUT, generate


@pytest.fixture(scope="module")
def generated() -> str:
    return generate()


def test_docs_openapi_json_is_not_stale(generated):
    with open(DEFAULT_OUTPUT, encoding="utf-8") as handle:
        committed = handle.read()
    assert committed == generated, "docs/openapi.json is stale: run `python -m scripts.openapi`"


def test_document_is_valid_openapi_with_routes_models_and_auth(generated):
    document = json.loads(generated)
    validate(document)  # raises on an invalid OpenAPI 3.0 document
    paths = document["paths"]
    assert set(paths) == {"/orders", "/orders/{orderId}", "/users", "/users/{userId}"}
    assert paths["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"] \
        == {"$ref": "#/components/schemas/OrderCreate"}
    assert {"OrderCreate", "UserCreate", "UserUpdate"} <= set(document["components"]["schemas"])
    scheme = document["components"]["securitySchemes"]["cognito-users"]
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    for path, operations in paths.items():
        assert "options" in operations, f"{path} has no CORS preflight"
        assert "security" not in operations["options"]  # preflights are open
        for verb, operation in operations.items():
            if verb != "options":
                assert operation["security"] == [{"cognito-users": []}], (verb, path)
