"""`LocalCloud`: the running local cloud (implements `interfaces.Cloud`).

It owns the moto subprocess, the gateway, the registry, the Lambda executor and the
asynchronous invoker, deploys the program, and starts and stops the trigger parts (REST API
server, EventBridge router, SQS pollers, SNS fan-out, scheduler, alarm evaluator).
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from typing import Any, Callable


from .clients import local_client
from .deployer import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    Deployment,
    deploy_in_subprocess,
    load_stack_config,
)
from .gateway import Gateway
from .interfaces import InvokeResult, Registry
from .lambda_async import AsyncInvoker
from .lambda_executor import LambdaExecutor, api_error
from .lambda_metrics import Telemetry
from .moto_server import MotoServer, free_port

log = logging.getLogger("localcloud")

# (attribute, module, class): the parts written beside the core, started after the deployment.
PARTS = [
    ("rest_api_server", "localcloud.apigateway", "RestApiServer"),
    ("events_router", "localcloud.events_router", "EventsRouter"),
    ("sns_fanout", "localcloud.sns_fanout", "SnsFanout"),
    ("sqs_pollers", "localcloud.sqs_poller", "SqsPollers"),
    ("scheduler", "localcloud.scheduler", "Scheduler"),
    ("alarms", "localcloud.alarms", "AlarmEvaluator"),
]


class LocalCloud:
    def __init__(self, project_dir: str, *, stack: str = "local", port: int = 4566,
                 time_scale: float = 1.0, state_dir: str | None = None,
                 default_concurrency: int = 10, console: Callable[[str], None] | None = print,
                 idle_timeout: float = 120.0):
        self.project_dir = os.path.abspath(project_dir)
        self.stack = stack
        self.time_scale = float(time_scale)
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
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
        self.missing_parts: list[str] = []
        self.rest_api_server = self.events_router = self.sns_fanout = None
        self.sqs_pollers = self.scheduler = self.alarms = None
        self._clients: dict[tuple[str, bool], Any] = {}
        self._clients_lock = threading.Lock()
        self._stopped = False
        self.moto = MotoServer(gateway_port=self.port)
        self.telemetry = Telemetry(self.aws)
        self.executor = LambdaExecutor(endpoint_url=self.endpoint_url, region=self.region,
                                       account_id=self.account_id, telemetry=self.telemetry,
                                       default_concurrency=default_concurrency, console=console,
                                       idle_timeout=idle_timeout)
        self.async_invoker = AsyncInvoker(self, self._run_sync)
        self.gateway: Gateway | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> "LocalCloud":
        self.started_at = time.monotonic()
        atexit.register(self.stop)
        for folder in ("functions", "layers"):  # code from an earlier run must not linger
            shutil.rmtree(os.path.join(self.state_dir, folder), ignore_errors=True)
        os.makedirs(self.state_dir, exist_ok=True)
        self.moto.log_path = os.path.join(self.state_dir, "moto.log")
        # Bind first (moto must be told the gateway's port), then start moto, then serve.
        self.gateway = Gateway(self, host=self.host, port=self.port, upstream_port=self.moto.port)
        self.moto.start()
        self.gateway.start()
        self.moto.wait_ready()
        self.telemetry.start()
        self.deployment = deploy_in_subprocess(self.project_dir, self.stack,
                                               endpoint_url=self.endpoint_url,
                                               state_dir=self.state_dir)
        self.registry = self.deployment.registry
        self.async_invoker.start()
        self._start_parts()
        for spec in self.registry.functions.values():
            if spec.provisioned_concurrency:
                threading.Thread(target=self.executor.prewarm, daemon=True,
                                 args=(spec, spec.provisioned_concurrency)).start()
        self.ready = True
        self.ready_seconds = time.monotonic() - self.started_at
        return self

    def _start_parts(self) -> None:
        for attribute, module_name, class_name in PARTS:
            try:
                part_class = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError) as error:
                self.missing_parts.append(f"{module_name}.{class_name}")
                log.warning("!!! %s.%s is not available (%s): that part of the local cloud "
                            "is NOT running", module_name, class_name, error)
                continue
            part = part_class(self)
            setattr(self, attribute, part)
            if hasattr(part, "start"):
                part.start()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.ready = False
        for attribute, _, _ in reversed(PARTS):
            part = getattr(self, attribute)
            if part is not None and hasattr(part, "stop"):
                try:
                    part.stop()
                except Exception:
                    log.exception("stopping %s failed", attribute)
        self.async_invoker.stop()
        self.executor.stop()
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
        spec = self.registry.function(function)
        if function.startswith("arn:") and len(function.split(":")) > 7:
            qualifier = qualifier or function.split(":")[7]
        elif not function.startswith("arn:") and ":" in function:
            qualifier = qualifier or function.split(":", 1)[1]
        if spec is None or (qualifier and qualifier != "$LATEST" and not qualifier.isdigit()
                            and qualifier not in spec.aliases):
            name = function if function.startswith("arn:") else (
                f"arn:aws:lambda:{self.region}:{self.account_id}:function:{function}")
            return api_error(404, "ResourceNotFoundException", f"Function not found: {name}")
        if invocation_type == "DryRun":
            return InvokeResult(204)
        if invocation_type == "Event":
            self.async_invoker.submit(spec.name, payload, qualifier)
            return InvokeResult(202)
        return self.executor.invoke(spec, payload, qualifier=qualifier)

    def _run_sync(self, spec, payload: bytes, qualifier: str | None, request_id: str):
        return self.executor.invoke(spec, payload, qualifier=qualifier, request_id=request_id)

    def deliver(self, arn: str, message: str, *, detail_type: str = "Lambda Function Invocation "
                "Result - Failure") -> None:
        """Send `message` to an SQS queue, SNS topic, Lambda function or event bus ARN."""
        service = arn.split(":")[2]
        if service == "sqs":
            sqs = self.aws("sqs")
            url = sqs.get_queue_url(QueueName=arn.split(":")[5],
                                    QueueOwnerAWSAccountId=arn.split(":")[4])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=message)
        elif service == "sns":
            self.aws("sns", via_gateway=True).publish(TopicArn=arn, Message=message)
        elif service == "lambda":
            self.invoke(arn, message.encode(), invocation_type="Event")
        elif service == "events":
            self.aws("events", via_gateway=True).put_events(Entries=[{
                "Source": "lambda", "DetailType": detail_type, "Detail": message,
                "EventBusName": arn}])
        else:
            raise ValueError(f"unsupported destination {arn}")

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
            "outputs": deployment.outputs if deployment else {},
            "functions": self.executor.stats(),
            "async_pending": self.async_invoker.pending(),
            "pids": {"local_cloud": os.getpid(), "moto": self.moto.pid,
                     "workers": self.executor.worker_pids()},
            "missing_parts": self.missing_parts,
        }

    def summary(self) -> str:
        return format_summary(self)


def format_summary(cloud: LocalCloud) -> str:
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
        import sys
        notes.append(f"functions ({', '.join(runtimes)}) run on the local Python "
                     f"{sys.version_info.major}.{sys.version_info.minor}")
    if cloud.missing_parts:
        notes.append("parts NOT running: " + ", ".join(cloud.missing_parts))
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


def start_local_cloud(project_dir: str, *, stack: str = "local", port: int = 0,
                      time_scale: float = 1.0, **options: Any) -> LocalCloud:
    """Start a local cloud and return it once it serves (call `.stop()` when done)."""
    cloud = LocalCloud(project_dir, stack=stack, port=port, time_scale=time_scale, **options)
    try:
        return cloud.start()
    except BaseException:
        cloud.stop()
        raise
