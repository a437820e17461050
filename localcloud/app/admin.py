"""The local cloud's own endpoints under `/_localcloud/` (health, status, firing a schedule now)
and the start-up summary `up` prints, in the spirit of `pulumi up`."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Protocol
from urllib.parse import unquote

from localcloud.core.http import GatewayRequest, HttpResponse, Route, RouteTable, json_response
from localcloud.core.registry import Registry
from localcloud.deploy.deployer import Deployment


class Observed(Protocol):
    """What the admin endpoints and the summary read of the running cloud."""

    account_id: str
    endpoint_url: str
    time_scale: float
    ready_seconds: float
    registry: Registry
    deployment: Deployment | None

    def health(self) -> dict: ...

    def status(self) -> dict: ...


# (rule name, input) -> what the scheduler's `fire` returns; KeyError for an unknown rule
FireRule = Callable[[str, Any], dict]


def admin_routes(cloud: Observed, fire_rule: FireRule) -> RouteTable:
    def health(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return json_response(200, cloud.health())

    def status(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return json_response(200, cloud.status())

    def fire(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        payload = json.loads(request.body) if request.body.strip() else {}
        try:
            result = fire_rule(unquote(params["rule"]), payload.get("input"))
        except KeyError as error:
            return json_response(404, {"message": f"unknown rule {error}"})
        return json_response(200, result)

    def unknown(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return json_response(404, {"message": f"no admin endpoint {request.path}"})

    return RouteTable(routes=[
        Route("admin:fire", fire, methods=("POST",),
              path=r"^/_localcloud/schedules/(?P<rule>[^/]+)/fire/?$"),
        Route("admin:health", health, path=r"^/_localcloud/health/?$"),
        Route("admin:status", status, path=r"^/_localcloud/status/?$"),
        Route("admin:unknown", unknown, path=r"^/_localcloud/"),
    ])


def format_summary(cloud: Observed) -> str:
    """What `up` prints once ready, in the spirit of `pulumi up`."""
    deployment = cloud.deployment
    assert deployment is not None
    lines = [f"Local cloud for {deployment.project}/{deployment.stack} "
             f"(region {deployment.region}, account {cloud.account_id})", "", "Resources:"]
    width = max((len(t) for t in deployment.created), default=10)
    for type_token, count in sorted(deployment.created.items()):
        lines.append(f"    + {type_token:<{width}}  {count:>3} created")
    total = sum(deployment.created.values())
    components = sum(deployment.components.values())
    lines.append(f"    {total} resources created, {components} components")
    if deployment.not_emulated:
        lines += ["", "NOT emulated (plausible ids returned; nothing behind them):"]
        for type_token, names in sorted(deployment.not_emulated.items()):
            lines.append(f"    ! {type_token}: {', '.join(names)}")
    if deployment.external_layers:
        lines += ["", "Layers provided by the local Python environment instead:"]
        lines += [f"    ~ {arn}" for arn in deployment.external_layers]
    notes = list(deployment.notes)
    runtimes = sorted({f.runtime for f in cloud.registry.functions.values()})
    if runtimes:
        notes.append(f"functions ({', '.join(runtimes)}) run on the local Python "
                     f"{sys.version_info.major}.{sys.version_info.minor}")
    if notes:
        lines += ["", "Notes:"] + [f"    - {note}" for note in notes]
    if deployment.outputs:
        lines += ["", "Outputs:"]
        width = max(len(k) for k in deployment.outputs)
        for key, value in deployment.outputs.items():
            shown = value if isinstance(value, str) else json.dumps(value)
            lines.append(f"    {key:<{width}}: {shown}")
    lines += ["", f"Endpoint: {cloud.endpoint_url}   (AWS_ENDPOINT_URL={cloud.endpoint_url}, "
              "any credentials)",
              f"Ready in {cloud.ready_seconds:.1f}s (deployment {deployment.seconds:.1f}s)."
              + (f" Time scale x{cloud.time_scale:g}." if cloud.time_scale != 1 else "")]
    return "\n".join(lines)
