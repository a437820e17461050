"""The Lambda Invoke API: synchronous, asynchronous (Event) and DryRun invocations by name, ARN
or qualified ARN/alias, answered by the local cloud (moto cannot run functions without Docker).

`LambdaService` owns the executor (worker processes) and the asynchronous invoker, and declares
the gateway route for `POST /2015-03-31/functions/{name}/invocations`. Injected function
faults (core/faults.py) replace an execution, synchronous or asynchronous, before it starts.
"""

from __future__ import annotations

import threading
import time
from typing import Callable
from urllib.parse import parse_qs, unquote

from localcloud.core.arns import function_arn, function_ref
from localcloud.core.clock import Clock
from localcloud.core.delivery import Deliveries
from localcloud.core.faults import Faults
from localcloud.core.http import GatewayRequest, HttpResponse, Route, RouteTable, json_response
from localcloud.core.ports import InvokeResult
from localcloud.core.registry import FunctionSpec, Registry
from localcloud.core.telemetry import Telemetry

from .async_invoke import AsyncInvoker
from .concurrency import ACCOUNT_LIMIT
from .executor import LambdaExecutor, api_error, lambda_error

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


class LambdaService:
    def __init__(self, *, registry: Callable[[], Registry], region: str, account_id: str,
                 endpoint_url: str, clock: Clock, telemetry: Telemetry, deliveries: Deliveries,
                 account_concurrency: int = ACCOUNT_LIMIT, max_running: int | None = None,
                 worker_wait: float = 30.0, idle_timeout: float = 120.0,
                 console: Callable[[str], None] | None = print, faults: Faults | None = None,
                 credentials: Callable[[FunctionSpec], dict[str, str]] | None = None):
        self.registry = registry
        self.faults = faults or Faults()
        self.region = region
        self.account_id = account_id
        self.executor = LambdaExecutor(endpoint_url=endpoint_url, region=region,
                                       account_id=account_id, telemetry=telemetry,
                                       account_concurrency=account_concurrency,
                                       reserved_total=self._reserved_total,
                                       max_running=max_running, worker_wait=worker_wait,
                                       console=console, idle_timeout=idle_timeout,
                                       credentials=credentials)
        self.async_invoker = AsyncInvoker(registry=registry, run=self._run_sync, clock=clock,
                                          telemetry=telemetry, deliveries=deliveries)

    # -- Part ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Provisioned concurrency: keep that many workers of each function warm from now."""
        for spec in self.registry().functions.values():
            if spec.provisioned_concurrency:
                threading.Thread(target=self.executor.prewarm, daemon=True,
                                 args=(spec, spec.provisioned_concurrency)).start()

    def stop(self) -> None:
        self.async_invoker.stop()
        self.executor.stop()

    def _reserved_total(self) -> int:
        return sum(spec.reserved_concurrency or 0 for spec in self.registry().functions.values())

    def concurrency_note(self) -> str:
        """What the start-up summary says about concurrency: AWS's limits, and the local one."""
        slots = self.executor.slots
        return (f"Lambda concurrency as on AWS: {self.executor.limits.account_limit} per account, "
                f"reserved concurrency where set (past it: 429); this machine runs "
                f"{slots.size} invocations at once (--max-running): past that an invocation "
                f"waits up to {slots.wait:g} s for a worker (--worker-wait), then fails with "
                f"500 ServiceException, which AWS would not do")

    # -- the Invoke API -----------------------------------------------------------------------

    def invoke(self, function: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None) -> InvokeResult:
        spec = self.registry().function(function)
        qualifier = qualifier or function_ref(function)[1]
        if spec is None or (qualifier and qualifier != "$LATEST" and not qualifier.isdigit()
                            and qualifier not in spec.aliases):
            name = function if function.startswith("arn:") else (
                function_arn(self.region, self.account_id, function))
            return api_error(404, "ResourceNotFoundException", f"Function not found: {name}")
        if invocation_type == "DryRun":
            return InvokeResult(204)
        if invocation_type == "Event":
            self.async_invoker.submit(spec.name, payload, qualifier)
            return InvokeResult(202)
        return self._run_sync(spec, payload, qualifier, None)

    def _run_sync(self, spec: FunctionSpec, payload: bytes, qualifier: str | None,
                  request_id: str | None) -> InvokeResult:
        injected = self._injected(spec)
        if injected is not None:
            return injected
        return self.executor.invoke(spec, payload, qualifier=qualifier, request_id=request_id)

    def _injected(self, spec: FunctionSpec) -> InvokeResult | None:
        """The result of an injected fault on this function, if one applies now."""
        fault = self.faults.take_function(spec.name)
        if fault is None:
            return None
        if fault.effect == "throttle":
            return api_error(429, "TooManyRequestsException", "Rate Exceeded. (injected)",
                             Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
        if fault.effect == "timeout":
            seconds = spec.timeout_seconds if fault.delay_seconds is None else fault.delay_seconds
            time.sleep(seconds)
            return lambda_error(f"Task timed out after {seconds:.2f} seconds (injected "
                                f"{fault.id})", "Sandbox.Timedout")
        return lambda_error(f"{fault.message} ({fault.id})", "InjectedFault")

    # -- the gateway's route ------------------------------------------------------------------

    def routes(self) -> RouteTable:
        return RouteTable(routes=[Route(
            "lambda:Invoke", self._handle_invoke, methods=("POST",),
            path=r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")])

    def _handle_invoke(self, request: GatewayRequest, params: dict[str, str]) -> HttpResponse:
        qualifier = (parse_qs(request.query).get("Qualifier") or [None])[0]
        invocation_type = request.header("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            return json_response(400, {"Type": "User", "__type": "InvalidParameterValueException",
                                       "message": f"Invalid invocation type {invocation_type}"})
        result = self.invoke(unquote(params["function"]), request.body,
                             invocation_type=invocation_type, qualifier=qualifier)
        headers = [("Content-Type", "application/json"),
                   ("X-Amz-Executed-Version", result.executed_version),
                   ("x-amzn-RequestId", request.header("amz-sdk-invocation-id", ""))]
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        if result.status_code == 404:
            headers.append(("x-amzn-ErrorType", "ResourceNotFoundException"))
        elif result.status_code == 429:
            headers.append(("x-amzn-ErrorType", "TooManyRequestsException"))
        return HttpResponse(result.status_code, headers, result.payload)
