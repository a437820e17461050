"""The per-request `$context` of a REST API call, and the small template language that uses it.

Gateway response templates, MOCK integration templates, `responseParameters` and the stage's
access log format all read the same `$context.*` / `$stageVariables.*` values, so they are
produced in one place.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .request import HttpRequest

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# `$context.a.b`, `${context.a.b}`, `$!context.a.b`, `$stageVariables.name`
_REFERENCE = re.compile(r"\$!?(\{)?((?:context|stageVariables)(?:\.[A-Za-z0-9_]+)+)(?(1)\})")


def _extended_request_id() -> str:
    # AWS's look: 15 characters and "=", e.g. "JJbxmHEHvHcFdKg="
    return base64.b64encode(os.urandom(11)).decode()[:15] + "="


@dataclass(frozen=True)
class GatewayError:
    """An error answered by API Gateway itself, through a gateway response type."""

    response_type: str  # e.g. "BAD_REQUEST_BODY", "DEFAULT_5XX"
    message: str
    validation_error: str = ""  # what `$context.error.validationErrorString` shows
    status: int | None = None  # the natural status when it is not the type's default (502)


@dataclass
class RequestContext:
    request: HttpRequest
    account_id: str
    region: str
    stage_variables: dict[str, str] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(default_factory=_extended_request_id)
    started: float = field(default_factory=time.time)
    resource_id: str | None = None
    resource_path: str | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)
    # filled in as the request goes through
    status: int | None = None
    response_length: int | None = None
    integration_status: int | None = None
    integration_latency_ms: int | None = None
    integration_error: str | None = None
    error: GatewayError | None = None
    authorizer_claims: dict[str, str] | None = None  # set by a COGNITO_USER_POOLS authorizer

    @property
    def api_id(self) -> str:
        return self.request.api_id

    @property
    def stage(self) -> str:
        return self.request.stage

    @property
    def request_time(self) -> str:
        t = time.gmtime(self.started)
        return (f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
                f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")

    @property
    def request_time_epoch(self) -> int:
        return int(self.started * 1000)

    @property
    def domain_name(self) -> str:
        return (self.request.header("Host")
                or f"{self.api_id}.execute-api.{self.region}.amazonaws.com")

    def variables(self) -> dict[str, str | None]:
        """`$context.*` and `$stageVariables.*` by name (without the `$`); None when unset."""
        error = self.error
        message = error.message if error else None
        values: dict[str, str | None] = {
            "context.accountId": self.account_id,
            "context.apiId": self.api_id,
            "context.domainName": self.domain_name,
            "context.domainPrefix": self.domain_name.split(".")[0],
            "context.extendedRequestId": self.extended_request_id,
            "context.httpMethod": self.request.method,
            "context.path": f"/{self.stage}{self.request.path}",
            "context.protocol": "HTTP/1.1",
            "context.requestId": self.request_id,
            "context.requestTime": self.request_time,
            "context.requestTimeEpoch": str(self.request_time_epoch),
            "context.resourceId": self.resource_id,
            "context.resourcePath": self.resource_path,
            "context.stage": self.stage,
            "context.identity.sourceIp": self.request.source_ip,
            "context.identity.userAgent": self.request.header("User-Agent"),
            "context.status": _str(self.status),
            "context.responseLength": _str(self.response_length),
            "context.responseLatency": str(int((time.time() - self.started) * 1000)),
            "context.integrationStatus": _str(self.integration_status),
            "context.integrationLatency": _str(self.integration_latency_ms),
            "context.integration.status": _str(self.integration_status),
            "context.integration.integrationStatus": _str(self.integration_status),
            "context.integration.latency": _str(self.integration_latency_ms),
            "context.integration.error": self.integration_error,
            "context.integrationErrorMessage": self.integration_error,
            "context.error.message": message,
            "context.error.messageString": json.dumps(message) if error else None,
            "context.error.responseType": error.response_type if error else None,
            # AWS shows the validator's messages already JSON-escaped, without outer quotes
            "context.error.validationErrorString": (
                json.dumps(error.validation_error)[1:-1] if error and error.validation_error
                else None),
        }
        for name, value in (self.authorizer_claims or {}).items():
            values[f"context.authorizer.claims.{name}"] = value
        for name, value in self.stage_variables.items():
            values[f"stageVariables.{name}"] = value
        return values

    def mapped_headers(self, parameters: dict[str, str] | None,
                       prefix: str) -> list[tuple[str, str]]:
        """Headers from `responseParameters` whose keys start with `prefix` (e.g.
        `method.response.header.`), with their mapped values; unset values are left out."""
        headers = []
        for key, expression in (parameters or {}).items():
            if key.startswith(prefix):
                value = self.parameter_value(expression)
                if value is not None:
                    headers.append((key[len(prefix):], value))
        return headers

    def parameter_value(self, expression: str) -> str | None:
        """Value of a mapping expression in `responseParameters`.

        `'literal'`, `method.request.header|querystring|path.NAME`, `context.*`,
        `stageVariables.*`.
        """
        if len(expression) >= 2 and expression[0] == expression[-1] == "'":
            return expression[1:-1]
        for prefix in ("method.request.header.", "method.request.multivalueheader."):
            if expression.startswith(prefix):
                return self.request.header(expression[len(prefix):])
        if expression.startswith("method.request.path."):
            return self.path_parameters.get(expression[len("method.request.path."):])
        if expression.startswith("method.request.querystring."):
            wanted = expression[len("method.request.querystring."):]
            found = [v for k, v in parse_qsl(self.request.query, keep_blank_values=True)
                     if k == wanted]
            return found[-1] if found else None
        return self.variables().get(expression)


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def render(template: str, values: dict[str, str | None], *, missing: str = "") -> str:
    """Substitute `$context.*` and `$stageVariables.*` references; the rest of VTL is not run."""
    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(2))
        return missing if value is None or value == "" else value

    return _REFERENCE.sub(substitute, template)
