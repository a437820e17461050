"""`GetExport` oas30 of a deployed REST API (the fixture program's), through the gateway with
boto3 and with the AWS CLI as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from openapi_spec_validator import validate


@pytest.fixture(scope="module")
def api_id(outputs) -> str:
    return outputs["apiUrl"].split("/restapis/")[1].split("/")[0]


def test_oas30_export_has_paths_auth_and_validates(aws, api_id, outputs):
    body = aws("apigateway").get_export(restApiId=api_id, stageName="v1", exportType="oas30",
                                        accepts="application/json")["body"].read()
    document = json.loads(body)
    validate(document)
    assert document["openapi"] == "3.0.1"
    assert document["servers"][0]["variables"]["basePath"]["default"] == "v1"
    assert set(document["paths"]) == {"/items", "/private", "/legacy"}
    assert "security" not in document["paths"]["/items"]["get"]  # authorization NONE
    schemes = document["components"]["securitySchemes"]
    (cognito,) = [name for name, s in schemes.items()
                  if s["x-amazon-apigateway-authtype"] == "cognito_user_pools"]
    assert document["paths"]["/private"]["get"]["security"] == [{cognito: []}]
    assert schemes[cognito]["x-amazon-apigateway-authorizer"]["providerARNs"][0].endswith(
        outputs["userPoolId"])
    (custom,) = [s for s in schemes.values() if s["x-amazon-apigateway-authtype"] == "custom"]
    assert custom["x-amazon-apigateway-authorizer"]["type"] == "token"


def test_export_of_a_missing_stage_is_not_found(aws, api_id):
    client = aws("apigateway", max_attempts=1)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_export(restApiId=api_id, stageName="nope", exportType="oas30")


def test_aws_cli_get_export_writes_the_document(endpoint, api_id, tmp_path):
    target = tmp_path / "api.json"
    # As the README runs it: the endpoint from AWS_ENDPOINT_URL, no --endpoint-url.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    aws_cli = os.path.join(os.path.dirname(sys.executable), "aws")
    subprocess.run([aws_cli, "apigateway", "get-export",
                    "--rest-api-id", api_id, "--stage-name", "v1", "--export-type", "oas30",
                    str(target)], env=env, check=True, capture_output=True, timeout=60)
    assert set(json.loads(target.read_text())["paths"]) == {"/items", "/private", "/legacy"}
