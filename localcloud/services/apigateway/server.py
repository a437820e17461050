"""Serving deployed API Gateway REST (v1) APIs.

The gateway hands every `/restapis/{apiId}/{stage}/_user_request_/{path}` request to
`RestApiServer.handle`. The API's definition is read from moto (cached, see
`definition`); the request then goes through what API Gateway does:

    stage -> route (resource + method) -> authorizer (COGNITO_USER_POOLS, see `authorizer`)
    -> request validation -> integration
    (MOCK, or AWS_PROXY through `Cloud.invoke` with the integration timeout) -> response,
    with gateway responses for API Gateway's own errors and an access log line per request.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from localcloud.core.http import GatewayRequest, HttpResponse, Route, RouteTable, json_response
from localcloud.core.ports import Cloud

from .access_log import AccessLogWriter
from .authorizer import CognitoAuthorizer, local_pools
from .context import GatewayError, RequestContext, render
from .definition import ApiDefinition, DefinitionCache, Method, Stage
from .export import openapi_document
from .gateway_response import (AUTHORIZER_CONFIGURATION_ERROR, BAD_LAMBDA_RESPONSE,
                               CONFIGURATION_ERROR, INTERNAL_ERROR, MISSING_ROUTE, TIMED_OUT,
                               TOO_LARGE, gateway_response)
from .integrations.aws_proxy import (APIGATEWAY, function_target, invoke_source, proxy_event,
                                     proxy_response)
from .integrations.mock import mock_response
from .request import HttpRequest
from .validation import validate_request

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MS = 29000
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota


class RestApiServer:
    """Answers requests to the REST APIs deployed in the local cloud."""

    def __init__(self, cloud: Cloud, *, definition_max_age: float = 2.0,
                 log_flush_interval: float = 0.2, max_concurrent_invokes: int = 256,
                 token_cache: bool = True) -> None:
        self._cloud = cloud
        self._definitions = DefinitionCache(cache(lambda: cloud.aws("apigateway")),
                                            max_age=definition_max_age)
        self._access_log = AccessLogWriter(cache(lambda: cloud.aws("logs")),
                                           flush_interval=log_flush_interval)
        self._warned: set[str] = set()
        self._authorizer = CognitoAuthorizer(
            local_pools(cloud.endpoint_url, lambda: cloud.aws("cognito-idp")), cache=token_cache)
        # Invokes run here so that a request can stop waiting at the integration timeout.
        self._invokes = ThreadPoolExecutor(max_workers=max_concurrent_invokes,
                                           thread_name_prefix="apigw-invoke")

    def handle(self, request: HttpRequest) -> HttpResponse:
        ctx = RequestContext(request=request, account_id=self._cloud.account_id,
                             region=self._cloud.region)
        try:
            api, stage = self._api_and_stage(request)
            if api is None or stage is None:
                return self._finish(ctx, None, gateway_response(MISSING_ROUTE, ctx, {}))
            ctx.stage_variables = dict(stage.variables)
            response = self._finish(ctx, stage, self._serve(api, ctx))
            self._record_metrics(api.name, stage.name, ctx)
            return response
        except Exception:
            log.exception("serving %s %s of REST API %s failed", request.method, request.path,
                          request.api_id)
            return gateway_response(INTERNAL_ERROR, ctx, {})

    def invalidate(self, api_id: str | None = None) -> None:
        """Forget cached definitions (e.g. right after a deployment changed them)."""
        self._definitions.invalidate(api_id)

    def flush_logs(self) -> None:
        self._access_log.flush()

    def close(self) -> None:
        """Write the queued access log lines and stop accepting invocations."""
        self._access_log.close()
        self._invokes.shutdown(wait=False, cancel_futures=True)

    def start(self) -> None:
        """Nothing to start: definitions are read on the first request to each API."""

    stop = close  # the local cloud stops its parts with `stop()`

    def routes(self) -> RouteTable:
        """Requests to a deployed stage: `/restapis/{id}/{stage}/_user_request_/{path}`."""
        return RouteTable(routes=[Route(
            "apigateway:execute-api", self._handle_gateway_request,
            path=r"^/restapis/(?P<api_id>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$"),
            Route("apigateway:GetExport", self._export, methods=("GET",),
                  path=r"^/restapis/(?P<api_id>[^/]+)/stages/(?P<stage>[^/]+)/exports/oas30/?$")])

    def _export(self, request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        """`GetExport` for `oas30` (moto's answer is a Swagger 2.0 skeleton, see `export`)."""
        client = self._cloud.aws("apigateway")
        try:
            document = openapi_document(client, params["api_id"], params["stage"],
                                        self._cloud.region)
        except client.exceptions.NotFoundException as error:
            return json_response(404, {"message": error.response["Error"]["Message"]},
                                 [("x-amzn-ErrorType", "NotFoundException")])
        return json_response(200, document)

    def _handle_gateway_request(self, request: GatewayRequest,
                                params: dict[str, str]) -> HttpResponse:
        return self.handle(HttpRequest(
            method=request.method, path=params.get("path") or "/", api_id=params["api_id"],
            stage=params["stage"], headers=request.headers, query=request.query,
            body=request.body, source_ip=request.source_ip))

    def _record_metrics(self, api_name: str, stage: str, ctx: RequestContext) -> None:
        """The stage's AWS/ApiGateway metrics, so API alarms and dashboards work locally."""
        telemetry = getattr(self._cloud, "telemetry", None)
        if telemetry is None:
            return
        dimensions = {"ApiName": api_name, "Stage": stage}
        status = ctx.status or 0
        latency_ms = (time.time() - ctx.started) * 1000
        for name, value, unit in (
                ("Count", 1, "Count"),
                ("4XXError", int(400 <= status < 500), "Count"),
                ("5XXError", int(status >= 500), "Count"),
                ("Latency", latency_ms, "Milliseconds"),
                ("IntegrationLatency", ctx.integration_latency_ms or 0, "Milliseconds")):
            telemetry.metric("AWS/ApiGateway", name, value, unit, dimensions)

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            log.warning(message)

    def _api_and_stage(self, request: HttpRequest) -> tuple[ApiDefinition | None, Stage | None]:
        api = self._definitions.get(request.api_id)
        if api is None or request.stage not in api.stages:
            api = self._definitions.refresh_after_miss(request.api_id)
        return api, (api.stages.get(request.stage) if api else None)

    def _route(self, api: ApiDefinition,
               ctx: RequestContext) -> tuple[ApiDefinition, Method | None]:
        for attempt in range(2):
            found = api.router.match(ctx.request.path)
            method = found[0].method(ctx.request.method) if found else None
            if method is not None or attempt == 1:
                break
            # maybe a route added since the definition was read
            api = self._definitions.refresh_after_miss(api.api_id) or api
        if method is not None and found is not None:
            ctx.resource_id, ctx.resource_path = method.resource_id, method.resource_path
            ctx.path_parameters = found[1]
        return api, method

    def _serve(self, api: ApiDefinition, ctx: RequestContext) -> HttpResponse:
        if len(ctx.request.body) > MAX_PAYLOAD_BYTES:
            return gateway_response(TOO_LARGE, ctx, api.gateway_responses)
        api, method = self._route(api, ctx)
        if method is None:
            return gateway_response(MISSING_ROUTE, ctx, api.gateway_responses)
        denied = self._authorize(api, method, ctx)
        if denied is not None:
            return gateway_response(denied, ctx, api.gateway_responses)
        query = parse_qsl(ctx.request.query, keep_blank_values=True)
        query_names: dict[str, list[str]] = {}
        for name, value in query:
            query_names.setdefault(name, []).append(value)

        error = validate_request(api, method, ctx.request, query_names)
        if error is not None:
            return gateway_response(error, ctx, api.gateway_responses)

        kind = (method.integration.get("type") or "").upper()
        result: HttpResponse | GatewayError
        if kind == "MOCK":
            result = mock_response(method, ctx)
        elif kind == "AWS_PROXY":
            result = self._invoke_proxy(api, method, ctx, query)
        else:
            self._warn_once(f"integration type {kind!r} of {method.http_method} "
                            f"{method.resource_path} is not emulated")
            result = CONFIGURATION_ERROR
        if isinstance(result, GatewayError):
            return gateway_response(result, ctx, api.gateway_responses)
        result.headers.extend([("x-amzn-RequestId", ctx.request_id),
                               ("x-amz-apigw-id", ctx.extended_request_id)])
        return result

    def _authorize(self, api: ApiDefinition, method: Method,
                   ctx: RequestContext) -> GatewayError | None:
        """None when the request may go on (claims kept on `ctx`), else the error to answer."""
        kind = method.authorization_type
        if kind == "COGNITO_USER_POOLS":
            authorizer = api.authorizers.get(method.authorizer_id or "")
            if authorizer is None or authorizer.type != kind or authorizer.header is None:
                log.warning("%s %s names authorizer %r, which is not a Cognito authorizer "
                            "reading a header", method.http_method, method.resource_path,
                            method.authorizer_id)
                return AUTHORIZER_CONFIGURATION_ERROR
            result = self._authorizer.authorize(authorizer, method.authorization_scopes,
                                                ctx.request.header(authorizer.header))
            if isinstance(result, GatewayError):
                return result
            ctx.authorizer_claims = result
        elif kind != "NONE" or method.api_key_required:
            self._warn_once(f"NOT ENFORCED: {method.http_method} {method.resource_path} asks "
                            f"for {kind} authorization or an API key, which the local cloud "
                            "does not check; the route is served to every caller")
        return None

    def _invoke_proxy(self, api: ApiDefinition, method: Method, ctx: RequestContext,
                      query: list[tuple[str, str]]) -> HttpResponse | GatewayError:
        target = function_target(method.integration.get("uri") or "", ctx.stage_variables)
        if target is None:
            log.warning("integration uri %r is not a Lambda function",
                        method.integration.get("uri"))
            return CONFIGURATION_ERROR
        function, qualifier = target
        source_arn, function_arn = invoke_source(ctx, function, qualifier)
        denied = self._cloud.authorize_delivery(APIGATEWAY, source_arn, "lambda:InvokeFunction",
                                                function_arn)
        if denied:  # API Gateway's answer to a missing permission
            log.warning("API Gateway may not invoke %s: %s", function_arn, denied)
            ctx.integration_error = denied
            return INTERNAL_ERROR
        payload = json.dumps(proxy_event(ctx, query, api.binary_media_types)).encode()
        timeout_ms = _timeout_ms(method.integration.get("timeoutInMillis"))

        started = time.monotonic()
        future = self._invokes.submit(self._cloud.invoke, function, payload, qualifier=qualifier)
        try:
            result = future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            ctx.integration_error = "Execution failed due to a timeout error"
            return TIMED_OUT  # the invocation itself runs on, as in AWS
        except Exception as exc:
            log.exception("invoking %s failed", function)
            ctx.integration_error = str(exc)
            return INTERNAL_ERROR
        finally:
            ctx.integration_latency_ms = int((time.monotonic() - started) * 1000)

        ctx.integration_status = result.status_code
        if result.status_code >= 300:
            # Lambda's own errors (throttling 429, unknown function...) surface as 500
            ctx.integration_error = result.payload.decode("utf-8", "replace")[:1000]
            return INTERNAL_ERROR
        if result.function_error:
            ctx.integration_error = result.payload.decode("utf-8", "replace")[:1000]
            return BAD_LAMBDA_RESPONSE
        response = proxy_response(result.payload, ctx, api.binary_media_types)
        if response is BAD_LAMBDA_RESPONSE:
            ctx.integration_error = "Malformed Lambda proxy response"
        return response

    def _finish(self, ctx: RequestContext, stage: Stage | None,
                response: HttpResponse) -> HttpResponse:
        ctx.status = response.status
        ctx.response_length = len(response.body)
        if stage is not None and stage.access_log_destination and stage.access_log_format:
            line = render(stage.access_log_format, ctx.variables(), missing="-")
            self._access_log.write(stage.access_log_destination, ctx.request_time_epoch, line)
        return response


def _timeout_ms(value: Any) -> float:
    try:
        return float(value) if value not in (None, "") else DEFAULT_TIMEOUT_MS
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT_MS
