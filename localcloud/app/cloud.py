"""`LocalCloud`: the composition root of the local cloud (implements `core.ports.Cloud`).

It builds the core (clock, registry, telemetry, delivery table) and the services, composes
their routes into the gateway's table, deploys the program, and starts its parts in order:

    moto → gateway → telemetry → deployment → Lambda, REST APIs, EventBridge, SNS fan-out,
    SQS pollers, pipes, scheduler, alarm evaluator, hot reload of function code

and stops them in reverse. The parts are an explicit list: a part that cannot be built fails
the start with a traceback, never a half-running cloud. It follows Lambda control-plane writes
made through the gateway (`LambdaControlPlane`); the console (`localcloud.console`, pages at
`/_localcloud/`) reads it through `Source`.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import threading
import time
from typing import Any, Callable

from localcloud.core.arns import ACCOUNT_ID, DEFAULT_REGION
from localcloud.core.clients import local_client
from localcloud.core.clock import Clock
from localcloud.core.delivery import Deliveries
from localcloud.core.faults import Faults
from localcloud.core.http import RouteTable
from localcloud.core.ports import InvokeResult, Part
from localcloud.core.registry import FunctionSpec, Registry
from localcloud.core.telemetry import Telemetry
from localcloud.console.routes import console_routes
from localcloud.deploy.deployer import Deployment, deploy_in_subprocess
from localcloud.deploy.stack_config import load_stack_config
from localcloud.emulator.moto_clock import MotoClock
from localcloud.emulator.moto_server import MotoServer, free_port
from localcloud.services.apigateway.server import RestApiServer
from localcloud.services.cloudwatch.alarms import AlarmEvaluator
from localcloud.services.dynamodbstreams.reader import StreamReader
from localcloud.services.events.router import EventsRouter, matches
from localcloud.services.events.scheduler import Scheduler
from localcloud.services.iam.enforcer import DEFAULT_MODE as DEFAULT_IAM_MODE, IamEnforcer
from localcloud.services.lambda_.concurrency import ACCOUNT_LIMIT
from localcloud.services.lambda_.control_plane import LambdaControlPlane
from localcloud.services.lambda_.executor import LambdaExecutor
from localcloud.services.lambda_.service import LambdaService
from localcloud.services.pipes.runner import PipeRunners
from localcloud.services.sns.fanout import SnsFanout
from localcloud.services.sqs.poller import SqsPollers

from .admin import admin_routes, format_summary
from .advance import Advancer
from .call_counts import CallCounts
from .gateway import Gateway, chained
from .persistence import Persistence
from .reload import CodeReloader

log = logging.getLogger("localcloud")

# On stop, running invocations get this long to finish, and their responses a little longer to
# be written; everything else (parts, workers, moto) stops in well under a second after that.
# 10 s, the usual grace of a container stop: an invocation still cold-starting on a loaded
# machine needs more than 2 s, and a stop with nothing running does not wait at all.
DRAIN_SECONDS = 10.0
RESPONSE_SECONDS = 0.3


class LocalCloud:
    def __init__(self, project_dir: str, *, stack: str = "local", port: int = 4566,
                 time_scale: float = 1.0, state_dir: str | None = None,
                 account_concurrency: int = ACCOUNT_LIMIT, max_running: int | None = None,
                 worker_wait: float = 30.0, console: Callable[[str], None] | None = print,
                 idle_timeout: float = 120.0, reload: bool = True,
                 iam: str = DEFAULT_IAM_MODE, clock: str = "scaled", fresh: bool = False):
        self.project_dir = os.path.abspath(project_dir)
        self.stack = stack
        self.clock = Clock(time_scale, mode=clock)
        self.time_scale = self.clock.time_scale
        self.state_dir = os.path.abspath(state_dir or os.path.join(self.project_dir, ".localcloud",
                                                                   stack))
        self.console = console
        _, config, _ = load_stack_config(self.project_dir, stack)
        self.region = config.get("aws:region", DEFAULT_REGION)
        self.account_id = ACCOUNT_ID
        # The gateway listens where `localhost` resolves: moto's Step Functions call that name.
        self.host = socket.gethostbyname("localhost")
        self.port = port or free_port(self.host)
        self.endpoint_url = f"http://localhost:{self.port}"
        self.registry = Registry()
        self.deployment: Deployment | None = None
        self.ready = False
        self.started_at = 0.0
        self.ready_seconds = 0.0
        self._clients: dict[tuple[str, bool], Any] = {}
        self._clients_lock = threading.Lock()
        self._stopped = False

        # -- the core --
        # The stack's data survives a restart unless `fresh` (app/persistence.py).
        self.persistence = Persistence(self.state_dir, fresh=fresh, project_dir=self.project_dir)
        self.moto = MotoServer(gateway_port=self.port, state_dir=self.persistence.dir)
        # Injected faults: functions (Lambda) and service actions (the gateway).
        self.faults = Faults()
        # Each function's calls are evaluated against its role's identity policies.
        self.iam = IamEnforcer(iam, account_id=self.account_id, aws=self.aws)
        self.calls = CallCounts(self.iam.caller)
        self.telemetry = Telemetry(self.aws,
                                   stamp=self.clock.now if self.clock.manual else None)
        self.deliveries = Deliveries(self)
        # -- the services, in the order they start --
        self.lambda_ = LambdaService(
            registry=lambda: self.registry, region=self.region, account_id=self.account_id,
            endpoint_url=self.endpoint_url, clock=self.clock, telemetry=self.telemetry,
            deliveries=self.deliveries, account_concurrency=account_concurrency,
            max_running=max_running, worker_wait=worker_wait,
            idle_timeout=idle_timeout, console=console, faults=self.faults,
            credentials=lambda spec: self.iam.credentials(spec.role_arn, spec.name))
        self.rest_apis = RestApiServer(self)
        self.events = EventsRouter(self)
        self.sns = SnsFanout(self)
        self.sqs_pollers = SqsPollers(self)
        # Pipes filter with the rules' own matcher and read streams through the Streams API.
        self.pipes = PipeRunners(self, matches=matches, open_stream=lambda arn, position:
                                 StreamReader(self.aws("dynamodbstreams"), arn, position))
        self.scheduler = Scheduler(self, self.events)
        self.alarms = AlarmEvaluator(self)
        self.moto_clock = MotoClock(self.moto.url)
        # What an advance of the manual clock fires, and what it waits for to settle.
        self.advancer = Advancer(self.clock, timers={
            "lambda-async-retry": self.lambda_.async_invoker.queue,
            "event-target-delivery": self.events.dispatcher.retries,
            "schedule": self.scheduler,
            "alarm-evaluation": self.alarms,
            "sqs-message-visible": self.moto_clock,
        }, activities={"lambda-invocation": _Running(self.executor.in_flight),
                       "sqs-poller": self.sqs_pollers},
            flushes=[self.telemetry.flush])
        self.parts: list[Part] = [self.lambda_, self.rest_apis, self.events, self.sns,
                                  self.sqs_pollers, self.pipes, self.scheduler, self.alarms]
        # Saved function code reaches the next invocation (`--no-reload` turns it off).
        self.reloader = CodeReloader(
            project_dir=self.project_dir, stack=stack, console=console,
            functions=lambda: list(self.registry.functions.values()),
            retire=self._new_code) if reload else None
        if self.reloader:
            self.parts.append(self.reloader)
        # Lambda control-plane writes through the gateway reach the registry and the workers.
        self.control_plane = LambdaControlPlane(
            self, code_root=os.path.join(self.state_dir, "functions"), renew=self._new_code,
            retire=self.executor.retire, mappings_changed=self.sqs_pollers.sync)
        self.routes = RouteTable().extend(
            console_routes(self),  # before the admin table's catch-all of /_localcloud/
            admin_routes(self, self.scheduler.fire, (self.faults, self.kill_workers),
                         self.advancer),
            self.rest_apis.routes(),
            self.lambda_.routes(), self.events.routes(), self.sns.routes(),
            self.control_plane.routes(), self.iam.routes(), self.iam.resources.routes(),
            self.alarms.routes())
        self.gateway: Gateway | None = None

    @property
    def executor(self) -> LambdaExecutor:
        return self.lambda_.executor

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> "LocalCloud":
        self.started_at = time.monotonic()
        atexit.register(self.stop)
        for folder in ("functions", "layers"):  # code from an earlier run must not linger
            shutil.rmtree(os.path.join(self.state_dir, folder), ignore_errors=True)
        os.makedirs(self.state_dir, exist_ok=True)
        previous_graph = self.persistence.prepare(self.endpoint_url)
        self.moto.log_path = os.path.join(self.state_dir, "moto.log")
        # Bind first (moto must be told the gateway's port), then start moto, then serve.
        self.gateway = Gateway(self.routes, host=self.host, port=self.port,
                               upstream_port=self.moto.port,
                               intercept=chained(self.calls.intercept, self.iam.intercept,
                                                 self.faults.intercept))
        self.moto.start()
        self.gateway.start()
        self.moto.wait_ready()
        if self.clock.manual:  # moto's SQS keeps the simulated time from the start
            self.moto_clock.set(self.clock.now())
        self.persistence.loaded(self.moto.snapshot())
        self.telemetry.start()
        self.deployment = deploy_in_subprocess(
            self.project_dir, self.stack, endpoint_url=self.endpoint_url,
            state_dir=self.state_dir, graph_out=self.persistence.graph_out,
            previous_graph=previous_graph)
        self.persistence.commit(self.moto, self.deployment.graph_token)
        self.deployment.notes[:0] = [self.persistence.summary(self.deployment.actions),
                                     *self.persistence.notes]
        self.registry = self.deployment.registry
        self.deployment.notes.append(self.lambda_.concurrency_note())
        self.deployment.notes.append(
            "hot reload: a saved file of a function or of shared code under the project retires"
            " that function's workers (next invocation: new code); a program change needs a "
            "restart (which keeps the data)" if self.reloader
            else "hot reload off (--no-reload): restart to run new code")
        self.deployment.notes.append(self.control_plane.NOTE)
        roles = [spec.role_arn for spec in self.registry.functions.values()]
        self.iam.prepare(roles)
        self.deployment.notes.extend(self.iam.notes([arn.rsplit("/", 1)[-1] for arn in roles]))
        for part in self.parts:
            part.start()
        self.ready = True
        self.ready_seconds = time.monotonic() - self.started_at
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.ready = False
        # Under load: refuse new invocations at once, stop the parts that start work (pollers,
        # schedules, routers...) while the running invocations finish, wait for those and for
        # their responses to be written (bounded), and only then kill the workers and moto.
        deadline = time.monotonic() + DRAIN_SECONDS
        self.executor.begin_drain()
        # Every part is stopped, started or not (a part's stop is safe before its start). The
        # others stop on their own thread: one may wait for an invocation it is running (an
        # SQS poller), which only returns when the drain ends and Lambda kills the workers.
        others = threading.Thread(
            target=self._stop_parts, name="stop-parts", daemon=True,
            args=([part for part in reversed(self.parts) if part is not self.lambda_],))
        others.start()
        if not self.executor.drain(deadline):
            log.warning("stopping with %d invocations still running", self.executor.in_flight())
        if self.gateway is not None:
            self.gateway.drain(deadline + RESPONSE_SECONDS)
        others.join(max(0.0, deadline - time.monotonic()))
        self._stop_parts([self.lambda_])
        others.join(RESPONSE_SECONDS)
        try:
            self.telemetry.stop()
        except Exception:  # moto may already be gone when stopping after a failure
            log.debug("final telemetry flush failed", exc_info=True)
        if self.gateway is not None:
            self.gateway.stop()
        self.moto.stop()
        try:
            atexit.unregister(self.stop)
        except Exception:
            pass

    @staticmethod
    def _stop_parts(parts: list[Part]) -> None:
        for part in parts:
            try:
                part.stop()
            except Exception:
                log.exception("stopping %s failed", type(part).__name__)

    # -- Cloud --------------------------------------------------------------------------------

    def aws(self, service: str, *, via_gateway: bool = False) -> Any:
        key = (service, via_gateway)
        with self._clients_lock:  # creating clients is not thread-safe; using them is
            client = self._clients.get(key)
            if client is None:
                client = local_client(service, self.endpoint_url if via_gateway else
                                      self.moto.url, self.region, max_attempts=2,
                                      max_pool_connections=50)
                self._clients[key] = client
            return client

    def invoke(self, function: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None) -> InvokeResult:
        return self.lambda_.invoke(function, payload, invocation_type=invocation_type,
                                   qualifier=qualifier)

    def authorize_delivery(self, service: str, source_arn: str, action: str,
                           resource: str) -> str | None:
        return self.iam.authorize_service(service, source_arn, action, resource)

    def authorize_role(self, role_arn: str, session_name: str, action: str,
                       resource: str) -> str | None:
        return self.iam.authorize_role(role_arn, session_name, action, resource)

    def _new_code(self, spec: FunctionSpec) -> int:
        """A function's code or configuration changed: retire its workers; provisioned ones
        are started again."""
        retired = self.executor.retire(spec.name)
        if spec.provisioned_concurrency:
            threading.Thread(target=self.executor.prewarm, daemon=True, name="reload-prewarm",
                             args=(spec, spec.provisioned_concurrency)).start()
        return retired

    def kill_workers(self, function: str, count: int = 1) -> list[int]:
        """SIGKILL up to `count` worker processes of a function, busy ones first (fault
        injection): an invocation a worker was running ends in Runtime.ExitError; an idle one
        is replaced on the next invoke."""
        pool = self.executor.pools.get(function)
        if pool is None:
            raise KeyError(function)
        with pool.lock:
            workers = [*pool.busy, *pool.idle]
        if not workers:
            raise KeyError(function)
        killed = []
        for worker in workers[:max(1, count)]:
            try:
                os.killpg(worker.pid, signal.SIGKILL)  # a worker leads its own process group
            except ProcessLookupError:
                continue
            worker.process.wait(timeout=5)  # reaped: the executor sees it dead from now on
            killed.append(worker.pid)
        return killed

    # -- introspection ------------------------------------------------------------------------

    def health(self) -> dict:
        return {"status": "ready" if self.ready else "starting", "stack": self.stack,
                "endpoint": self.endpoint_url}

    def status(self) -> dict:
        deployment = self.deployment
        return {
            **self.health(),
            "ready_seconds": round(self.ready_seconds, 2),
            "time_scale": self.time_scale,
            "clock": self.advancer.state(),
            "region": self.region,
            "outputs": deployment.outputs if deployment else {},
            "functions": self.executor.stats(),
            "lambda_slots": self.executor.slots.stats(),
            "async_pending": self.lambda_.async_invoker.pending(),
            "pipes": self.pipes.stats(),
            "polled_mappings": self.sqs_pollers.polled(),
            "faults": [fault.to_json() for fault in self.faults.list()],
            "iam": self.iam.stats(),
            "calls": self.calls.stats(),
            "pids": {"local_cloud": os.getpid(), "moto": self.moto.pid,
                     "workers": self.executor.worker_pids()},
        }

    def summary(self) -> str:
        return format_summary(self)

    # -- what the console reads (console.source.Source) ----------------------------------------

    def function_stats(self) -> dict[str, dict]:
        return self.executor.stats()

    def recent_events(self) -> list[dict]:
        return list(self.events.recent)

    def recent_batches(self) -> list[dict]:
        return list(self.sqs_pollers.recent)


class _Running:
    """An activity that is busy while `count()` is above zero."""

    def __init__(self, count: Callable[[], int]):
        self.count = count

    def busy(self) -> bool:
        return self.count() > 0


def start_local_cloud(project_dir: str, *, stack: str = "local", port: int = 0,
                      time_scale: float = 1.0, **options: Any) -> LocalCloud:
    """Start a local cloud and return it once it serves (call `.stop()` when done)."""
    cloud = LocalCloud(project_dir, stack=stack, port=port, time_scale=time_scale, **options)
    try:
        return cloud.start()
    except BaseException:
        cloud.stop()
        raise
