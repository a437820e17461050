"""Errors answered by API Gateway itself, shaped by the API's gateway responses.

A response type that the API customised uses its own status code, `responseParameters` and
`responseTemplates`; otherwise the API's `DEFAULT_4XX` / `DEFAULT_5XX` customisation applies;
otherwise AWS's default: the type's status and `{"message": "..."}`.
"""

from __future__ import annotations

from typing import Any

from localcloud.core.http import HttpResponse

from .context import GatewayError, RequestContext, render

DEFAULT_STATUS = {
    "ACCESS_DENIED": 403, "API_CONFIGURATION_ERROR": 500, "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500, "BAD_REQUEST_PARAMETERS": 400, "BAD_REQUEST_BODY": 400,
    "EXPIRED_TOKEN": 403, "INTEGRATION_FAILURE": 504, "INTEGRATION_TIMEOUT": 504,
    "INVALID_API_KEY": 403, "INVALID_SIGNATURE": 403, "MISSING_AUTHENTICATION_TOKEN": 403,
    "QUOTA_EXCEEDED": 429, "REQUEST_TOO_LARGE": 413, "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429, "UNAUTHORIZED": 401, "UNSUPPORTED_MEDIA_TYPE": 415, "WAF_FILTERED": 403,
    "DEFAULT_4XX": 400, "DEFAULT_5XX": 500,
}

# The `x-amzn-ErrorType` header AWS sends with its own error responses.
ERROR_TYPE_HEADER = {
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "BAD_REQUEST_PARAMETERS": "BadRequestException",
    "BAD_REQUEST_BODY": "BadRequestException",
    "UNSUPPORTED_MEDIA_TYPE": "UnsupportedMediaTypeException",
    "DEFAULT_5XX": "InternalServerErrorException",
    "API_CONFIGURATION_ERROR": "InternalServerErrorException",
}

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'

MISSING_ROUTE = GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
INTERNAL_ERROR = GatewayError("DEFAULT_5XX", "Internal server error")
BAD_LAMBDA_RESPONSE = GatewayError("DEFAULT_5XX", "Internal server error", status=502)
TIMED_OUT = GatewayError("INTEGRATION_TIMEOUT", "Endpoint request timed out")
CONFIGURATION_ERROR = GatewayError("API_CONFIGURATION_ERROR", "Internal server error")
TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", "Request Too Long")
AUTHORIZER_CONFIGURATION_ERROR = GatewayError("AUTHORIZER_CONFIGURATION_ERROR",
                                              "Internal server error")


def gateway_response(error: GatewayError, ctx: RequestContext,
                     customised: dict[str, dict[str, Any]]) -> HttpResponse:
    """The HTTP response for `error`, given the API's gateway responses by type."""
    ctx.error = error
    natural = error.status or DEFAULT_STATUS.get(error.response_type, 500)
    fallback = customised.get("DEFAULT_4XX" if natural < 500 else "DEFAULT_5XX")
    own = customised.get(error.response_type)
    spec = own or fallback or {}
    status = _status(own) or _status(fallback) or natural

    values = ctx.variables()
    headers: list[tuple[str, str]] = [("x-amzn-RequestId", ctx.request_id)]
    if error.response_type in ERROR_TYPE_HEADER:
        headers.append(("x-amzn-ErrorType", ERROR_TYPE_HEADER[error.response_type]))
    headers += ctx.mapped_headers(spec.get("responseParameters"), "gatewayresponse.header.")

    templates = spec.get("responseTemplates") or {}
    content_type = "application/json"
    template = DEFAULT_TEMPLATE
    if templates:
        content_type = "application/json" if "application/json" in templates else next(
            iter(templates))
        template = templates[content_type] or ""
    body = render(template, values).encode()
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", content_type))
    return HttpResponse(status=status, headers=headers, body=body)


def _status(spec: dict[str, Any] | None) -> int | None:
    code = (spec or {}).get("statusCode")
    return int(code) if code not in (None, "") else None
