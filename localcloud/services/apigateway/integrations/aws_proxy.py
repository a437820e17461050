"""Lambda proxy (`AWS_PROXY`) integrations: the v1 event, and the function's answer mapped back.

Event: REST API payload format 1.0. `path` keeps the request's percent-encoding while
`pathParameters` and query parameters are decoded; single-value maps keep the last value of a
repeated header or query parameter; empty maps and an empty body are `null`. The body is
base64-encoded (`isBase64Encoded`) when its Content-Type is one of the API's binaryMediaTypes.

Permission: API Gateway invokes as `apigateway.amazonaws.com` with the source ARN
`arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH` (`invoke_source`); the function's
policy must allow it (a `lambda add-permission` with a matching `--source-arn` pattern), else
the caller gets 500 "Internal server error", as on AWS.

Response: exactly `statusCode`, `headers`, `multiValueHeaders`, `body` (a string) and
`isBase64Encoded`; anything else is a "Malformed Lambda proxy response" (502). A base64 body is
decoded when the request's first Accept type is a binary media type, otherwise it is returned
as the base64 text, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
from typing import Any

from localcloud.core.arns import function_arn, function_ref
from localcloud.core.http import HttpResponse

from ..context import GatewayError, RequestContext, render
from ..gateway_response import BAD_LAMBDA_RESPONSE, CONFIGURATION_ERROR

_FUNCTION_URI = re.compile(r":lambda:path/[^/]+/functions/(?P<function>.+)/invocations$")
_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


def function_target(uri: str, stage_variables: dict[str, str]) -> tuple[str, str | None] | None:
    """(function ARN or name, alias/version qualifier) from an integration uri."""
    match = _FUNCTION_URI.search(uri or "")
    if not match:
        return None
    target = render(match.group("function"),
                    {f"stageVariables.{k}": v for k, v in stage_variables.items()})
    qualifier = function_ref(target)[1]
    return (target.removesuffix(f":{qualifier}"), qualifier) if qualifier else (target, None)


APIGATEWAY = "apigateway.amazonaws.com"  # the principal API Gateway invokes as


def invoke_source(ctx: RequestContext, function: str,
                  qualifier: str | None) -> tuple[str, str]:
    """(the execute-api source ARN of this request, the ARN of the function it invokes)."""
    source = (f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{ctx.api_id}/{ctx.stage}/"
              f"{ctx.request.method}/{ctx.request.path.lstrip('/')}")
    arn = function if function.startswith("arn:") else function_arn(ctx.region, ctx.account_id,
                                                                       function)
    return source, f"{arn}:{qualifier}" if qualifier else arn


def is_binary(media_type: str | None, binary_media_types: list[str]) -> bool:
    if not media_type:
        return False
    media_type = media_type.split(";")[0].strip().lower()
    return any(fnmatch.fnmatchcase(media_type, pattern.lower()) for pattern in binary_media_types)


def proxy_event(ctx: RequestContext, query: list[tuple[str, str]],
                binary_media_types: list[str]) -> dict[str, Any]:
    request = ctx.request
    headers = list(request.headers)
    present = {name.lower() for name, _ in headers}
    host_port = (request.header("Host") or "").rpartition(":")[2]
    # what the AWS edge adds for the function to see
    for name, value in (("X-Forwarded-For", request.source_ip), ("X-Forwarded-Proto", "http"),
                        ("X-Forwarded-Port", host_port if host_port.isdigit() else "80")):
        if name.lower() not in present:
            headers.append((name, value))

    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)

    body: str | None = None
    encoded = False
    if request.body:
        if is_binary(request.header("Content-Type"), binary_media_types):
            body, encoded = base64.b64encode(request.body).decode(), True
        else:
            body = request.body.decode("utf-8", "replace")

    return {
        "resource": ctx.resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(ctx.path_parameters) or None,
        "stageVariables": dict(ctx.stage_variables) or None,
        "requestContext": {
            "resourceId": ctx.resource_id,
            "resourcePath": ctx.resource_path,
            "httpMethod": request.method,
            "extendedRequestId": ctx.extended_request_id,
            "requestTime": ctx.request_time,
            "path": f"/{ctx.stage}{request.path}",
            "accountId": ctx.account_id,
            "protocol": "HTTP/1.1",
            "stage": ctx.stage,
            "domainPrefix": ctx.domain_name.split(".")[0],
            "requestTimeEpoch": ctx.request_time_epoch,
            "requestId": ctx.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.header("User-Agent"),
                "user": None,
            },
            "domainName": ctx.domain_name,
            "apiId": ctx.api_id,
            # a COGNITO_USER_POOLS method: the verified token's claims (authorizer.py)
            **({"authorizer": {"claims": dict(ctx.authorizer_claims)}}
               if ctx.authorizer_claims is not None else {}),
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def _header_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def proxy_response(payload: bytes, ctx: RequestContext,
                   binary_media_types: list[str]) -> HttpResponse | GatewayError:
    """Map the function's result to the HTTP response, or the error AWS would answer with."""
    try:
        result = json.loads(payload)
    except ValueError:
        return BAD_LAMBDA_RESPONSE
    if not isinstance(result, dict) or set(result) - _RESPONSE_KEYS:
        return BAD_LAMBDA_RESPONSE
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return BAD_LAMBDA_RESPONSE
    body = result.get("body")
    encoded = result.get("isBase64Encoded", False)
    if (body is not None and not isinstance(body, str)) or not isinstance(encoded, bool):
        return BAD_LAMBDA_RESPONSE

    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return BAD_LAMBDA_RESPONSE
    headers: list[tuple[str, str]] = []
    overridden = {name.lower() for name in multi}  # multiValueHeaders win on the same name
    for name, value in single.items():
        text = _header_value(value)
        if text is None:
            return BAD_LAMBDA_RESPONSE
        if name.lower() not in overridden:
            headers.append((name, text))
    for name, values in multi.items():
        if not isinstance(values, list):
            return BAD_LAMBDA_RESPONSE
        for value in values:
            text = _header_value(value)
            if text is None:
                return BAD_LAMBDA_RESPONSE
            headers.append((name, text))

    data = (body or "").encode()
    accept = (ctx.request.header("Accept") or "").split(",")[0]
    if encoded and is_binary(accept, binary_media_types):
        try:
            data = base64.b64decode(body or "", validate=True)
        except (binascii.Error, ValueError):
            return CONFIGURATION_ERROR  # "Unable to base64 decode the body"
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status=status, headers=headers, body=data)
