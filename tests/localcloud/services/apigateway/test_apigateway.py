"""RestApiServer against a real moto server holding an API built the way the Pulumi program does.

The Lambda side is a test double (`FakeCloud.invoke` records the event and returns a canned
result); everything about the API itself is read from moto.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from localcloud.services.apigateway.server import RestApiServer
from localcloud.services.apigateway.context import GatewayError
from localcloud.services.apigateway.definition import load_api
from localcloud.services.apigateway.validation import body_errors
from localcloud.core.http import HttpResponse
from localcloud.core.ports import InvokeResult
from localcloud.services.apigateway.request import HttpRequest
from tests.localcloud.services.apigateway.api_support import (ACCOUNT, REGION, FakeCloud, _uri,
                                                              moto_server, ok)

STAGE = "prod"
LOG_GROUP = "/aws/apigateway/users-api-access"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:users-handler"
SEARCH_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:users-search"
FILES_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:files"
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime", "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath", "status": "$context.status",
    "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "error": "$context.error.message",
})
USER_CREATE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "UserCreate",
    "type": "object",
    "required": ["email", "name"],
    "properties": {"email": {"type": "string", "format": "email"},
                   "name": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def _proxy(client: Any, api_id: str, resource_id: str, verb: str, function_arn: str,
           timeout_ms: int = 29000, **method: Any) -> None:
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb,
                      authorizationType="NONE", **method)
    client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb,
                           type="AWS_PROXY", integrationHttpMethod="POST",
                           uri=_uri(function_arn), timeoutInMillis=timeout_ms)


def _cors_preflight(client: Any, api_id: str, resource_id: str) -> None:
    allow = {
        "method.response.header.Access-Control-Allow-Origin": "'*'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,POST,PUT,DELETE,OPTIONS'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Idempotency-Key'",
    }
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS",
                      authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS",
                           type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
    client.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS",
                               statusCode="200",
                               responseParameters={k: True for k in allow})
    client.put_integration_response(restApiId=api_id, resourceId=resource_id,
                                     httpMethod="OPTIONS", statusCode="200",
                                     responseParameters=allow,
                                     responseTemplates={"application/json": ""})


def create_users_api(endpoint: str) -> str:
    """Build the API with boto3 calls mirroring the Pulumi resources; returns its id."""
    kwargs = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    client = boto3.client("apigateway", **kwargs)
    boto3.client("logs", **kwargs).create_log_group(logGroupName=LOG_GROUP)

    api = client.create_rest_api(name="users-api")
    api_id, root = api["id"], api["rootResourceId"]
    client.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream",
         "value": "application/octet-stream"}])
    client.create_model(restApiId=api_id, name="UserCreate", contentType="application/json",
                        schema=json.dumps(USER_CREATE_SCHEMA))
    validator = client.create_request_validator(
        restApiId=api_id, name="body-and-params", validateRequestBody=True,
        validateRequestParameters=True)["id"]

    users = client.create_resource(restApiId=api_id, parentId=root, pathPart="users")["id"]
    user = client.create_resource(restApiId=api_id, parentId=users, pathPart="{userId}")["id"]
    search = client.create_resource(restApiId=api_id, parentId=users, pathPart="search")["id"]
    files = client.create_resource(restApiId=api_id, parentId=root, pathPart="files")["id"]
    anything = client.create_resource(restApiId=api_id, parentId=files,
                                      pathPart="{proxy+}")["id"]
    slow = client.create_resource(restApiId=api_id, parentId=root, pathPart="slow")["id"]

    _proxy(client, api_id, users, "POST", FUNCTION_ARN, requestValidatorId=validator,
           requestModels={"application/json": "UserCreate"})
    _proxy(client, api_id, users, "GET", FUNCTION_ARN, requestValidatorId=validator,
           requestParameters={"method.request.querystring.limit": True})
    for verb in ("GET", "PUT", "DELETE"):
        _proxy(client, api_id, user, verb, FUNCTION_ARN)
    _proxy(client, api_id, search, "GET", SEARCH_ARN)
    _proxy(client, api_id, anything, "ANY", f"{FILES_ARN}:live")
    _proxy(client, api_id, slow, "GET", FUNCTION_ARN, timeout_ms=200)
    _cors_preflight(client, api_id, users)
    _cors_preflight(client, api_id, user)

    cors = {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
    client.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX",
                                responseParameters=cors)
    client.put_gateway_response(restApiId=api_id, responseType="DEFAULT_5XX",
                                responseParameters=cors)
    client.put_gateway_response(
        restApiId=api_id, responseType="BAD_REQUEST_BODY", statusCode="400",
        responseParameters=cors,
        responseTemplates={"application/json": (
            '{"message": $context.error.messageString, '
            '"details": "$context.error.validationErrorString", '
            '"requestId": "$context.requestId"}')})

    deployment = client.create_deployment(restApiId=api_id)["id"]
    client.create_stage(restApiId=api_id, stageName=STAGE, deploymentId=deployment,
                        variables={"env": "local"})
    client.update_stage(restApiId=api_id, stageName=STAGE, patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}"},
        {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT}])
    return api_id


@pytest.fixture(scope="module")
def api_id(moto_endpoint: str) -> str:
    return create_users_api(moto_endpoint)


@pytest.fixture
def cloud(moto_endpoint: str) -> FakeCloud:
    return FakeCloud(endpoint_url=moto_endpoint)


@pytest.fixture
def server(cloud: FakeCloud) -> Iterator[RestApiServer]:
    server = RestApiServer(cloud)
    yield server
    server.close()


@pytest.fixture
def call(server: RestApiServer, api_id: str) -> Callable[..., HttpResponse]:
    def call(method: str, path: str, *, query: str = "", body: bytes | str | dict = b"",
             headers: list[tuple[str, str]] | None = None, stage: str = STAGE) -> HttpResponse:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        return server.handle(HttpRequest(
            method=method, path=path, api_id=api_id, stage=stage, query=query, body=body,
            headers=headers if headers is not None else [("Host", "localhost:4566"),
                                                        ("Content-Type", "application/json")],
            source_ip="10.1.2.3"))
    return call


def header(response: HttpResponse, name: str) -> str | None:
    return next((v for k, v in response.headers if k.lower() == name.lower()), None)


def json_body(response: HttpResponse) -> Any:
    return json.loads(response.body)


# --- routing ---------------------------------------------------------------------------------

def test_path_parameter_route_invokes_the_integrated_function(call, cloud):
    response = call("GET", "/users/u-123")

    assert response.status == 200
    assert json_body(response) == {"ok": True}
    assert cloud.calls[-1]["function"] == FUNCTION_ARN
    assert cloud.last_event["resource"] == "/users/{userId}"
    assert cloud.last_event["pathParameters"] == {"userId": "u-123"}
    assert header(response, "x-amzn-RequestId") == cloud.last_event["requestContext"]["requestId"]


def test_literal_path_part_wins_over_path_parameter(call, cloud):
    call("GET", "/users/search")
    assert cloud.calls[-1]["function"] == SEARCH_ARN
    assert cloud.last_event["pathParameters"] is None

    call("GET", "/users/searching")
    assert cloud.calls[-1]["function"] == FUNCTION_ARN


def test_greedy_proxy_resource_with_any_method_and_alias_qualifier(call, cloud):
    response = call("PATCH", "/files/a/b/c.txt")

    assert response.status == 200
    assert cloud.calls[-1]["function"] == FILES_ARN
    assert cloud.calls[-1]["qualifier"] == "live"
    assert cloud.last_event["resource"] == "/files/{proxy+}"
    assert cloud.last_event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert cloud.last_event["httpMethod"] == "PATCH"


@pytest.mark.parametrize("method,path", [("GET", "/nope"), ("GET", "/users/u-1/orders"),
                                         ("PATCH", "/users/u-1"), ("GET", "/"),
                                         ("TRACE", "/files/a.txt"), ("PROPFIND", "/files/a")])
def test_unknown_route_or_method_is_403_missing_authentication_token(call, cloud, method, path):
    response = call(method, path)

    assert response.status == 403
    assert json_body(response) == {"message": "Missing Authentication Token"}
    assert header(response, "x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    assert header(response, "Access-Control-Allow-Origin") == "*"  # from DEFAULT_4XX
    assert cloud.calls == []


def test_payload_over_10_mb_is_413(call, cloud):
    response = call("POST", "/files/big", body=b"x" * (10 * 1024 * 1024 + 1),
                    headers=[("Content-Type", "application/octet-stream")])

    assert response.status == 413
    assert json_body(response) == {"message": "Request Too Long"}
    assert cloud.calls == []


def test_unknown_stage_or_api_is_403(call, cloud, server):
    response = call("GET", "/users/u-1", stage="staging")

    assert response.status == 403
    assert json_body(response) == {"message": "Missing Authentication Token"}
    unknown_api = server.handle(HttpRequest("GET", "/users/u-1", "doesnotexist", STAGE))
    assert unknown_api.status == 403
    assert cloud.calls == []


def test_changed_definition_is_picked_up_in_the_background(cloud, api_id):
    server = RestApiServer(cloud, definition_max_age=0.1)
    request = HttpRequest("GET", "/users/u-1", api_id, STAGE)
    client = cloud.aws("apigateway")
    try:
        server.handle(request)
        assert cloud.last_event["stageVariables"] == {"env": "local"}
        client.update_stage(restApiId=api_id, stageName=STAGE, patchOperations=[
            {"op": "replace", "path": "/variables/release", "value": "v2"}])
        deadline = time.monotonic() + 3
        while cloud.last_event["stageVariables"].get("release") != "v2":
            assert time.monotonic() < deadline, "stage change not picked up"
            time.sleep(0.05)
            server.handle(request)
    finally:
        client.update_stage(restApiId=api_id, stageName=STAGE, patchOperations=[
            {"op": "remove", "path": "/variables/release", "value": ""}])
        server.close()


def test_route_added_after_first_request_is_served_without_restart(
        call, cloud, moto_endpoint, api_id):
    assert call("GET", "/users/u-1").status == 200  # definition now cached
    client = cloud.aws("apigateway")
    root = client.get_rest_api(restApiId=api_id)["rootResourceId"]
    health = client.create_resource(restApiId=api_id, parentId=root, pathPart="health")["id"]
    _proxy(client, api_id, health, "GET", FUNCTION_ARN)
    time.sleep(0.3)  # a miss re-reads the definition at most every 0.25 s

    assert call("GET", "/health").status == 200
    assert cloud.last_event["resource"] == "/health"


# --- request validation ----------------------------------------------------------------------

def test_invalid_body_is_400_through_the_bad_request_body_gateway_response(call, cloud):
    response = call("POST", "/users", body={"name": "Ada"})

    assert response.status == 400
    body = json_body(response)
    assert body["message"] == "Invalid request body"
    assert body["details"] == '[object has missing required properties (["email"])]'
    assert body["requestId"] == header(response, "x-amzn-RequestId")
    assert header(response, "Access-Control-Allow-Origin") == "*"
    assert cloud.calls == []


def test_body_without_content_type_is_validated_as_json(call, cloud):
    response = call("POST", "/users", body={"email": "a@example.com", "name": "", "x": 1},
                    headers=[])

    assert response.status == 400
    details = json_body(response)["details"]
    assert 'object instance has properties which are not allowed by the schema: ["x"]' in details
    assert 'string "" is too short (length: 0, required minimum: 1)' in details
    assert cloud.calls == []


def test_valid_body_reaches_the_function(call, cloud):
    response = call("POST", "/users", body={"email": "ada@example.com", "name": "Ada"},
                    headers=[("Content-Type", "application/json; charset=utf-8")])

    assert response.status == 200
    assert json.loads(cloud.last_event["body"]) == {"email": "ada@example.com", "name": "Ada"}


def test_body_with_a_content_type_that_has_no_model_is_not_validated(call, cloud):
    response = call("POST", "/users", body="name=Ada", headers=[("Content-Type", "text/plain")])

    assert response.status == 200
    assert cloud.last_event["body"] == "name=Ada"


def test_missing_required_query_parameter_is_400(call, cloud):
    response = call("GET", "/users")

    assert response.status == 400
    assert json_body(response) == {"message": "Missing required request parameters: [limit]"}
    assert header(response, "Access-Control-Allow-Origin") == "*"  # DEFAULT_4XX applies
    assert cloud.calls == []

    assert call("GET", "/users", query="limit=5").status == 200
    assert cloud.last_event["queryStringParameters"] == {"limit": "5"}


def test_validation_messages_follow_the_aws_wording():
    from jsonschema import Draft4Validator

    validator = Draft4Validator({"type": "object", "properties": {
        "n": {"type": "integer", "minimum": 1}, "s": {"enum": ["a", "b"]}}})
    assert body_errors(validator, b'{"n": "x", "s": "c"}') == [
        'instance type (string) does not match any allowed primitive type (allowed: ["integer"])',
        'instance value ("c") not found in enum (possible values: ["a","b"])',
    ]
    assert body_errors(validator, b'{"n": 0}') == [
        "numeric instance is lower than the required minimum (minimum: 1, found: 0)"]
    assert body_errors(validator, b"{not json")[0].startswith("Invalid JSON")
    assert body_errors(validator, b"[" * 100_000 + b"]" * 100_000) == ["Invalid JSON: nested too deeply"]


# --- MOCK integration (CORS preflight) -------------------------------------------------------

def test_cors_preflight_is_answered_by_the_mock_integration(call, cloud):
    response = call("OPTIONS", "/users/u-1",
                    headers=[("Origin", "https://app.example.com"),
                             ("Access-Control-Request-Method", "PUT")])

    assert response.status == 200
    assert header(response, "Access-Control-Allow-Origin") == "*"
    assert header(response, "Access-Control-Allow-Methods") == "GET,POST,PUT,DELETE,OPTIONS"
    assert header(response, "Access-Control-Allow-Headers") == "Content-Type,Idempotency-Key"
    assert response.body == b""
    assert cloud.calls == []


# --- the Lambda proxy event ------------------------------------------------------------------

def test_proxy_event_has_the_v1_shape(call, cloud, api_id):
    call("PUT", "/users/u%201", query="a=1&a=2&b=x%20y&empty=",
         body={"name": "Ada"},
         headers=[("Host", "localhost:4566"), ("Content-Type", "application/json"),
                  ("User-Agent", "pytest"), ("X-Tag", "one"), ("X-Tag", "two")])
    event = cloud.last_event

    assert set(event) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                          "queryStringParameters", "multiValueQueryStringParameters",
                          "pathParameters", "stageVariables", "requestContext", "body",
                          "isBase64Encoded"}
    assert event["resource"] == "/users/{userId}"
    assert event["path"] == "/users/u%201"
    assert event["httpMethod"] == "PUT"
    assert event["headers"]["X-Tag"] == "two"
    assert event["multiValueHeaders"]["X-Tag"] == ["one", "two"]
    assert event["headers"]["X-Forwarded-For"] == "10.1.2.3"
    assert event["queryStringParameters"] == {"a": "2", "b": "x y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"],
                                                        "empty": [""]}
    assert event["pathParameters"] == {"userId": "u 1"}
    assert event["stageVariables"] == {"env": "local"}
    assert json.loads(event["body"]) == {"name": "Ada"}
    assert event["isBase64Encoded"] is False

    context = event["requestContext"]
    assert {"accountId", "apiId", "resourceId", "resourcePath", "httpMethod", "path", "stage",
            "requestId", "extendedRequestId", "requestTime", "requestTimeEpoch", "protocol",
            "identity", "domainName", "domainPrefix"} <= set(context)
    assert context["accountId"] == ACCOUNT
    assert context["apiId"] == api_id
    assert context["resourcePath"] == "/users/{userId}"
    assert context["httpMethod"] == "PUT"
    assert context["path"] == f"/{STAGE}/users/u%201"
    assert context["stage"] == STAGE
    assert context["protocol"] == "HTTP/1.1"
    assert context["domainName"] == "localhost:4566"
    assert abs(context["requestTimeEpoch"] / 1000 - time.time()) < 60
    assert time.strftime("%Y", time.gmtime()) in context["requestTime"]
    assert context["identity"]["sourceIp"] == "10.1.2.3"
    assert context["identity"]["userAgent"] == "pytest"
    resources = cloud.aws("apigateway").get_resources(restApiId=api_id)["items"]
    assert context["resourceId"] == next(r["id"] for r in resources
                                         if r["path"] == "/users/{userId}")


def test_request_without_query_or_body_has_null_maps(call, cloud):
    call("DELETE", "/users/u-1")
    event = cloud.last_event

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None


def test_binary_request_body_is_base64_encoded(call, cloud):
    data = bytes(range(256))
    call("POST", "/files/upload", body=data,
         headers=[("Content-Type", "application/octet-stream")])

    assert cloud.last_event["isBase64Encoded"] is True
    assert base64.b64decode(cloud.last_event["body"]) == data


# --- the Lambda proxy response ---------------------------------------------------------------

def test_response_headers_and_multi_value_headers_are_merged(call, cloud):
    cloud.respond = lambda event: ok({"id": "u-1"}, status=201, headers={
        "Content-Type": "application/json", "X-Single": "1", "X-Both": "from-headers"},
        multiValueHeaders={"Set-Cookie": ["a=1", "b=2"], "X-Both": ["m1", "m2"]})
    response = call("GET", "/users/u-1")

    assert response.status == 201
    assert json_body(response) == {"id": "u-1"}
    assert header(response, "X-Single") == "1"
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert [v for k, v in response.headers if k == "X-Both"] == ["m1", "m2"]
    assert len([k for k, _ in response.headers if k.lower() == "content-type"]) == 1


def test_base64_response_is_decoded_for_a_binary_accept_type(call, cloud):
    data = b"\x89PNG\x00\xff"
    encoded = base64.b64encode(data).decode()
    cloud.respond = lambda event: InvokeResult(200, json.dumps({
        "statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
        "body": encoded, "isBase64Encoded": True}).encode())

    binary = call("GET", "/files/logo.png", headers=[("Accept", "application/octet-stream")])
    text = call("GET", "/files/logo.png", headers=[("Accept", "application/json")])

    assert binary.status == 200 and binary.body == data
    assert text.body == encoded.encode()  # AWS passes the base64 text through


@pytest.mark.parametrize("payload", [
    b"not json",
    json.dumps({"body": "no status code"}).encode(),
    json.dumps({"statusCode": 200, "body": {"not": "a string"}}).encode(),
    json.dumps({"statusCode": 200, "body": "", "cookies": []}).encode(),
    json.dumps(["statusCode", 200]).encode(),
])
def test_malformed_lambda_response_is_502(call, cloud, payload):
    cloud.respond = lambda event: InvokeResult(200, payload)
    response = call("GET", "/users/u-1")

    assert response.status == 502
    assert json_body(response) == {"message": "Internal server error"}
    assert header(response, "Access-Control-Allow-Origin") == "*"  # DEFAULT_5XX applies


def test_function_error_is_502(call, cloud):
    cloud.respond = lambda event: InvokeResult(
        200, json.dumps({"errorMessage": "boom", "errorType": "ValueError"}).encode(),
        function_error="Unhandled")
    response = call("GET", "/users/u-1")

    assert response.status == 502
    assert json_body(response) == {"message": "Internal server error"}


class RecordingTelemetry:
    def __init__(self) -> None:
        self.metrics: list[tuple[str, str, float, dict[str, str]]] = []

    def metric(self, namespace, name, value, unit="None", dimensions=None, timestamp=None):
        self.metrics.append((namespace, name, value, dict(dimensions or {})))


def test_each_request_records_the_stage_metrics(call, cloud, api_id):
    cloud.telemetry = RecordingTelemetry()
    cloud.respond = lambda event: InvokeResult(200, b"not json")
    assert call("GET", "/users/u-1").status == 502
    api_name = cloud.aws("apigateway").get_rest_api(restApiId=api_id)["name"]
    recorded = {name: (value, dims) for ns, name, value, dims in cloud.telemetry.metrics
                if ns == "AWS/ApiGateway"}
    assert recorded["Count"][0] == 1 and recorded["5XXError"][0] == 1
    assert recorded["4XXError"][0] == 0 and recorded["Latency"][0] > 0
    assert recorded["Count"][1]["ApiName"] == api_name and recorded["Count"][1]["Stage"]


def test_throttled_invoke_is_500(call, cloud):
    cloud.respond = lambda event: InvokeResult(
        429, json.dumps({"Type": "User", "message": "Rate Exceeded."}).encode())
    response = call("GET", "/users/u-1")

    assert response.status == 500
    assert json_body(response) == {"message": "Internal server error"}


def test_integration_timeout_is_504(call, cloud):
    release = threading.Event()

    def slow(event: dict[str, Any]) -> InvokeResult:
        release.wait(5)
        return ok()

    cloud.respond = slow
    started = time.monotonic()
    response = call("GET", "/slow")
    elapsed = time.monotonic() - started
    release.set()

    assert response.status == 504
    assert json_body(response) == {"message": "Endpoint request timed out"}
    assert 0.15 < elapsed < 2  # timeoutInMillis is 200


# --- access log ------------------------------------------------------------------------------

def test_access_log_lines_reach_the_stage_log_group_in_its_format(call, cloud, server):
    good = call("GET", "/users/u-42")
    missing = call("GET", "/nope")
    server.flush_logs()

    logs = cloud.aws("logs")
    lines = []
    for stream in logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"]:
        events = logs.get_log_events(logGroupName=LOG_GROUP,
                                     logStreamName=stream["logStreamName"])["events"]
        lines += [json.loads(e["message"]) for e in events]
    by_id = {line["requestId"]: line for line in lines}

    line = by_id[header(good, "x-amzn-RequestId")]
    assert line["status"] == "200"
    assert line["httpMethod"] == "GET"
    assert line["resourcePath"] == "/users/{userId}"
    assert line["ip"] == "10.1.2.3"
    assert line["protocol"] == "HTTP/1.1"
    assert line["responseLength"] == str(len(good.body))
    assert line["error"] == "-"
    assert line["requestTime"].endswith("+0000")

    line = by_id[header(missing, "x-amzn-RequestId")]
    assert line["status"] == "403"
    assert line["resourcePath"] == "-"
    assert line["error"] == "Missing Authentication Token"


# --- definitions and speed -------------------------------------------------------------------

def test_definition_is_read_from_moto(cloud, api_id):
    api = load_api(cloud.aws("apigateway"), api_id)

    assert api is not None
    assert api.binary_media_types == ["application/octet-stream"]
    assert set(api.gateway_responses) == {"DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY"}
    assert api.stages[STAGE].access_log_format == ACCESS_LOG_FORMAT
    resource, params = api.router.match("/users/abc")
    assert resource.path == "/users/{userId}" and params == {"userId": "abc"}
    assert set(resource.methods) == {"GET", "PUT", "DELETE", "OPTIONS"}
    method = api.router.match("/users")[0].method("POST")
    assert method is not None and method.validate_body and method.validate_parameters
    assert method.request_models == {"application/json": "UserCreate"}
    assert load_api(cloud.aws("apigateway"), "doesnotexist") is None


def test_gateway_error_default_status_comes_from_the_type():
    from localcloud.services.apigateway.context import RequestContext
    from localcloud.services.apigateway.gateway_response import gateway_response

    ctx = RequestContext(request=HttpRequest("GET", "/x", "api", STAGE), account_id=ACCOUNT,
                         region=REGION)
    response = gateway_response(GatewayError("REQUEST_TOO_LARGE", "Request Too Long"), ctx,
                                {"DEFAULT_4XX": {"responseType": "DEFAULT_4XX",
                                                 "statusCode": "418"}})
    # a status code on DEFAULT_4XX replaces the status of every 4XX type that has none
    assert response.status == 418
    assert json.loads(response.body) == {"message": "Request Too Long"}


def test_gateway_response_templates_only_substitute_variables():
    from localcloud.services.apigateway.context import RequestContext
    from localcloud.services.apigateway.gateway_response import gateway_response

    ctx = RequestContext(request=HttpRequest("POST", "/users", "api", STAGE), account_id=ACCOUNT,
                         region=REGION)
    template = ('{"message": "Invalid: '
                '$util.escapeJavaScript($context.error.validationErrorString)"}')
    response = gateway_response(
        GatewayError("BAD_REQUEST_BODY", "Invalid request body", '[bad "x"]'), ctx,
        {"BAD_REQUEST_BODY": {"responseTemplates": {"application/json": template}}})

    # gateway response templates are not run through VTL: `$util` stays as written
    assert json.loads(response.body) == {
        "message": 'Invalid: $util.escapeJavaScript([bad "x"])'}
