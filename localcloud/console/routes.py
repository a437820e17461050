"""The console's routes under `/_localcloud/`: HTML pages, their JSON endpoints (the log tail,
redrive) and the static files. Declared before the admin table's catch-all."""

from __future__ import annotations

import json
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote

from localcloud.core.http import GatewayRequest, HttpResponse, Route, RouteTable

from . import alarms, executions, functions, queues, timeline
from .render import PREFIX, page, redirect, static
from .resources import by_component
from .source import Missing, Source, when

Handler = Callable[[GatewayRequest, dict[str, str]], HttpResponse]


def _json(payload: Any, status: int = 200) -> HttpResponse:
    """JSON of what the pages show (AWS timestamps as ISO-8601 text)."""
    return HttpResponse(status, [("Content-Type", "application/json")],
                        json.dumps(payload, default=when).encode())


def _query(request: GatewayRequest, name: str, default: str = "") -> str:
    return parse_qs(request.query).get(name, [default])[0]


def _wants_json(request: GatewayRequest) -> bool:
    return "application/json" in (request.header("Accept") or "")


def _found(handle: Handler) -> Handler:
    """A page for something unknown is a 404 page (JSON for the JSON endpoints)."""
    def guarded(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        try:
            return handle(request, params)
        except Missing as error:
            if _wants_json(request) or request.path.endswith("/logs"):
                return _json({"message": f"not found: {error}"}, 404)
            return page("missing.html", 404, what=str(error), active="")
    return guarded


def console_routes(source: Source) -> RouteTable:
    def index(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        deployment = source.deployment
        return page("index.html", active="index", deployment=deployment,
                    roots=by_component(deployment.resources if deployment else []))

    def function_list(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return page("functions.html", active="functions", rows=functions.functions(source))

    def function_page(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        spec = source.registry.function(params["name"])
        if spec is None:
            raise Missing(params["name"])
        row = next(r for r in functions.functions(source) if r["spec"].name == spec.name)
        return page("function.html", active="functions", row=row)

    def function_logs(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        after = int(_query(request, "after", "0") or 0)
        return _json(functions.log_tail(source, params["name"], after))

    def queue_list(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return page("queues.html", active="queues", rows=queues.queues(source))

    def queue_page(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        row = next((r for r in queues.queues(source) if r["name"] == params["name"]), None)
        if row is None:
            raise Missing(params["name"])
        if _wants_json(request):
            return _json({**row, "messages": queues.peek(source, row["name"])})
        return page("queue.html", active="queues", row=row,
                    messages=queues.peek(source, row["name"]),
                    redriven=_query(request, "redriven") or None)

    def queue_redrive(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        if not any(r["name"] == params["name"] for r in queues.queues(source)):
            raise Missing(params["name"])
        result = queues.redrive(source, params["name"])
        if _wants_json(request):
            return _json(result)
        return redirect(f"{PREFIX}/queues/{quote(params['name'])}?redriven="
                        + quote(result["log"]))

    def alarm_list(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return page("alarms.html", active="alarms", rows=alarms.alarms(source))

    def alarm_page(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        return page("alarm.html", active="alarms", **alarms.alarm(source, unquote(params["name"])))

    def execution_list(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        return page("executions.html", active="executions", rows=executions.executions(source))

    def execution_page(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        arn = unquote(params["arn"])
        try:
            found = executions.execution(source, arn)
        except source.aws("stepfunctions").exceptions.ExecutionDoesNotExist:
            raise Missing(arn) from None
        if _wants_json(request):
            return _json({"path": found["path"], "states": found["states"]})
        return page("execution.html", active="executions", **found)

    def order_timeline(request: GatewayRequest, _: dict[str, str]) -> HttpResponse:
        order_id = _query(request, "order").strip()
        entries = timeline.timeline(source, order_id) if order_id else []
        if _wants_json(request):
            return _json({"order": order_id, "entries": entries})
        return page("timeline.html", active="timeline", order_id=order_id, entries=entries)

    def static_file(request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        found = static(params["file"])
        if found is None:
            raise Missing(params["file"])
        return found

    get = ("GET", "HEAD")
    name = r"(?P<name>[^/]+)"
    table = [
        ("index", index, get, r"/?"),
        ("functions", function_list, get, r"/functions/?"),
        ("function-logs", function_logs, get, rf"/functions/{name}/logs"),
        ("function", function_page, get, rf"/functions/{name}/?"),
        ("queues", queue_list, get, r"/queues/?"),
        ("queue-redrive", queue_redrive, ("POST",), rf"/queues/{name}/redrive"),
        ("queue", queue_page, get, rf"/queues/{name}/?"),
        ("alarms", alarm_list, get, r"/alarms/?"),
        ("alarm", alarm_page, get, rf"/alarms/{name}/?"),
        ("executions", execution_list, get, r"/executions/?"),
        ("execution", execution_page, get, r"/executions/(?P<arn>arn:.+)"),
        ("timeline", order_timeline, get, r"/timeline/?"),
        ("static", static_file, get, r"/static/(?P<file>[\w.-]+)"),
    ]
    return RouteTable(routes=[Route(f"console:{key}", _found(handle), methods=methods,
                                    path=f"^{PREFIX}{pattern}$")
                              for key, handle, methods, pattern in table])
