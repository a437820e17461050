"""API Gateway: every stage writes access logs; every REST method but a CORS preflight requires
authorization."""

from __future__ import annotations

from .model import Report, Resource, present

STAGES = ("aws:apigateway/stage:Stage", "aws:apigatewayv2/stage:Stage")


def stage_access_logs(resource: Resource, report: Report) -> None:
    """Resource rule: an API stage has access log settings (destination and format)."""
    if resource.type not in STAGES:
        return
    missing = [p for p in ("destinationArn", "format")
               if not present(resource.get("accessLogSettings", p))]
    if missing:
        report(f"{resource.label} has no access logs (accessLogSettings lacks "
               f"{', '.join(missing)}): set access_log_settings with a log group ARN and a "
               "format", resource)


METHOD = "aws:apigateway/method:Method"
# `authorization` values that ask for a caller (NONE does not).
AUTHORIZED = ("COGNITO_USER_POOLS", "CUSTOM", "AWS_IAM")


def method_authorization(resource: Resource, report: Report) -> None:
    """Resource rule: a REST API method other than OPTIONS (the CORS preflight, which browsers
    send without credentials) requires authorization, and an authorizer when it names one."""
    if resource.type != METHOD:
        return
    verb = resource.get("httpMethod")
    if not isinstance(verb, str) or verb.upper() == "OPTIONS":
        return  # unknown during preview, or the preflight
    kind = resource.get("authorization")
    if isinstance(kind, str) and kind.upper() not in AUTHORIZED:
        report(f"{resource.label} ({verb}) is open to anyone (authorization {kind!r}): set "
               "authorization='COGNITO_USER_POOLS' with the API's authorizer_id", resource)
    elif kind in ("COGNITO_USER_POOLS", "CUSTOM") and not present(resource.get("authorizerId")):
        report(f"{resource.label} ({verb}) asks for {kind} authorization without an "
               "authorizer_id", resource)
