"""The local cloud's own endpoints under `/_localcloud/` (health, status, firing a schedule now,
fault injection, the clock) and the start-up summary `up` prints, in the spirit of `pulumi up`.

Clock: `GET /_localcloud/clock` shows its mode, simulated time and each timer's next due
instant; `POST /_localcloud/clock/advance` with `{"seconds": N}` (or `{"duration": "2h"}`)
advances a manual clock and answers, once settled, what fired by kind and the new time (409 on
a scaled clock, 400 for a bad duration, 504 when the cloud does not settle).

Faults: `GET /_localcloud/faults` lists them, `POST` adds one (core/faults.py for the fields),
`DELETE /_localcloud/faults[/ID]` (or `POST .../faults/clear` with `{"id": ...}`) removes one
or all, `POST /_localcloud/faults/kill-worker` with `{"function": NAME, "count": 1}` kills that
many of the function's worker processes (SIGKILL), as an environment dying mid-invoke.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Protocol
from urllib.parse import unquote

from localcloud.core.clock import Clock, iso_millis
from localcloud.core.faults import FaultError, Faults
from localcloud.core.http import GatewayRequest, HttpResponse, Route, RouteTable, json_response
from localcloud.core.registry import Registry
from localcloud.deploy.deployer import Deployment

from .advance import Advancer, NotSettled


class Observed(Protocol):
    """What the admin endpoints and the summary read of the running cloud."""

    account_id: str
    endpoint_url: str
    time_scale: float
    clock: Clock
    ready_seconds: float
    registry: Registry
    deployment: Deployment | None

    def health(self) -> dict: ...

    def status(self) -> dict: ...


# (rule name, input) -> what the scheduler's `fire` returns; KeyError for an unknown rule
FireRule = Callable[[str, Any], dict]
# (function name, count) -> the pids killed; KeyError for a function with no worker
KillWorkers = Callable[[str, int], list[int]]


def _body(request: GatewayRequest) -> dict:
    payload = json.loads(request.body) if request.body.strip() else {}
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object")
    return payload


def fault_routes(faults: Faults, kill_workers: KillWorkers) -> list[Route]:
    def listed(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return json_response(200, {"faults": [f.to_json() for f in faults.list()]})

    def add(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        try:
            fault = faults.add(_body(request))
        except (FaultError, ValueError) as error:
            return json_response(400, {"message": str(error)})
        return json_response(201, fault.to_json())

    def clear(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        try:
            fault_id = params.get("id") or _body(request).get("id")
        except ValueError as error:
            return json_response(400, {"message": str(error)})
        removed = faults.clear(fault_id)
        if fault_id and not removed:
            return json_response(404, {"message": f"no fault {fault_id}"})
        return json_response(200, {"removed": removed})

    def kill(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        try:
            body = _body(request)
            pids = kill_workers(str(body["function"]), int(body.get("count", 1)))
        except KeyError as error:
            return json_response(404, {"message": f"no running worker of {error}"})
        except (TypeError, ValueError) as error:
            return json_response(400, {"message": f"give {{'function': NAME}}: {error}"})
        return json_response(200, {"killed": pids})

    return [
        Route("admin:faults-kill", kill, methods=("POST",),
              path=r"^/_localcloud/faults/kill-worker/?$"),
        Route("admin:faults-clear", clear, methods=("POST",),
              path=r"^/_localcloud/faults/clear/?$"),
        Route("admin:faults-delete", clear, methods=("DELETE",),
              path=r"^/_localcloud/faults(?:/(?P<id>[^/]+))?/?$"),
        Route("admin:faults-add", add, methods=("POST",), path=r"^/_localcloud/faults/?$"),
        Route("admin:faults", listed, methods=("GET",), path=r"^/_localcloud/faults/?$"),
    ]


def clock_routes(advancer: Advancer) -> list[Route]:
    def state(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return json_response(200, advancer.state())

    def advance(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        try:
            body = _body(request)
            result = advancer.advance(body.get("seconds", body.get("duration", 0)))
        except ValueError as error:
            return json_response(400, {"message": str(error)})
        except NotSettled as error:
            return json_response(504, {"message": str(error)})
        except RuntimeError as error:  # a scaled clock
            return json_response(409, {"message": str(error)})
        return json_response(200, result)

    return [
        Route("admin:clock-advance", advance, methods=("POST",),
              path=r"^/_localcloud/clock/advance/?$"),
        Route("admin:clock", state, methods=("GET",), path=r"^/_localcloud/clock/?$"),
    ]


def admin_routes(cloud: Observed, fire_rule: FireRule,
                 faults: tuple[Faults, KillWorkers] | None = None,
                 advancer: Advancer | None = None) -> RouteTable:
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
        *(fault_routes(*faults) if faults else []),
        *(clock_routes(advancer) if advancer else []),
        Route("admin:fire", fire, methods=("POST",),
              path=r"^/_localcloud/schedules/(?P<rule>[^/]+)/fire/?$"),
        Route("admin:health", health, path=r"^/_localcloud/health/?$"),
        Route("admin:status", status, path=r"^/_localcloud/status/?$"),
        Route("admin:unknown", unknown, path=r"^/_localcloud/"),
    ])


ACTION_WORDS = {"adopt": "adopted", "update": "updated in place", "create": "created"}


def format_summary(cloud: Observed) -> str:
    """What `up` prints once ready, in the spirit of `pulumi up`."""
    deployment = cloud.deployment
    assert deployment is not None
    lines = [f"Local cloud for {deployment.project}/{deployment.stack} "
             f"(region {deployment.region}, account {cloud.account_id})", "", "Resources:"]
    width = max((len(t) for t in deployment.created), default=10)
    # adopted from the saved state, updated in place or created (app/persistence.py)
    restored = set(deployment.actions) - {"create"}
    for type_token, count in sorted(deployment.created.items()):
        lines.append(f"    + {type_token:<{width}}  {count:>3}"
                     + ("" if restored else " created"))
    total = sum(deployment.created.values())
    components = sum(deployment.components.values())
    how = ", ".join(f"{count} {ACTION_WORDS[action]}"
                    for action, count in sorted(deployment.actions.items()))
    lines.append(f"    {total} resources ({how}), {components} components" if restored
                 else f"    {total} resources created, {components} components")
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
    lines += ["", "Fault injection: python -m localcloud fault add|list|clear|kill-worker "
              "(/_localcloud/faults)"]
    lines += ["", clock_line(cloud.clock)]
    lines += ["", f"Console: {cloud.endpoint_url}/_localcloud/"]
    lines += ["", f"Endpoint: {cloud.endpoint_url}   (AWS_ENDPOINT_URL={cloud.endpoint_url}, "
              "any credentials)",
              f"Ready in {cloud.ready_seconds:.1f}s (deployment {deployment.seconds:.1f}s)."]
    return "\n".join(lines)


def clock_line(clock: Clock) -> str:
    if clock.manual:
        return (f"Clock: manual, stands at {iso_millis(clock.now())} until advanced "
                "(python -m localcloud advance 2h, POST /_localcloud/clock/advance); not "
                "simulated: functions' own clocks, batching windows, Step Functions waits, "
                "pipes, log timestamps")
    return f"Clock: scaled x{clock.time_scale:g} (simulated seconds per real second)"
