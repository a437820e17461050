"""MOCK integrations (typically the CORS preflight `OPTIONS` method).

The integration request template gives the status code (`{"statusCode": 200}`); the integration
response whose `selectionPattern` matches that code (the one without a pattern otherwise)
supplies the method response's headers (`method.response.header.X` = `'value'`) and body.
"""

from __future__ import annotations

import json
import re

from localcloud.core.http import HttpResponse

from ..context import GatewayError, RequestContext, render
from ..definition import Method
from ..gateway_response import CONFIGURATION_ERROR

UNSUPPORTED_MEDIA_TYPE = GatewayError("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type")


def mock_response(method: Method, ctx: RequestContext) -> HttpResponse | GatewayError:
    integration = method.integration
    templates = {k.lower(): v or "" for k, v in (integration.get("requestTemplates") or {}).items()}
    media_type = (ctx.request.header("Content-Type") or "application/json").split(";")[0]
    template = templates.get(media_type.strip().lower())
    if template is None:
        passthrough = (integration.get("passthroughBehavior") or "WHEN_NO_MATCH").upper()
        if passthrough == "NEVER" or (passthrough == "WHEN_NO_TEMPLATES" and templates):
            return UNSUPPORTED_MEDIA_TYPE
        mapped = ctx.request.body.decode("utf-8", "replace")
    else:
        mapped = render(template, ctx.variables())
    status = _status_code(mapped)

    chosen = select_integration_response(integration.get("integrationResponses") or {},
                                         str(status))
    if chosen is None:
        return CONFIGURATION_ERROR  # "No match for output mapping and no default output mapping"
    code = str(chosen["statusCode"])
    if method.method_responses and code not in method.method_responses:
        return CONFIGURATION_ERROR  # "Output mapping refers to an invalid method response"

    headers = ctx.mapped_headers(chosen.get("responseParameters"), "method.response.header.")
    response_templates = chosen.get("responseTemplates") or {}
    content_type = ("application/json" if "application/json" in response_templates
                    or not response_templates else next(iter(response_templates)))
    body = render(response_templates.get(content_type) or "", ctx.variables()).encode()
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", content_type))
    return HttpResponse(status=int(code), headers=headers, body=body)


def _status_code(mapped: str) -> int:
    try:
        document = json.loads(mapped) if mapped.strip() else {}
        return int(document.get("statusCode", 200)) if isinstance(document, dict) else 200
    except (ValueError, TypeError):
        return 200


def select_integration_response(responses: dict[str, dict], selector: str) -> dict | None:
    """The response whose selectionPattern matches `selector` in full, else the default one."""
    default = None
    for response in responses.values():
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
        elif re.fullmatch(pattern, selector, re.DOTALL):
            return response
    return default
