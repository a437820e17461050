"""API Gateway: every stage writes access logs."""

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
