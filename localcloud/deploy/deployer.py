"""Program → resources: evaluates a Pulumi program under the SDK's mocks with a local provider.

The mocks' `new_resource` creates each resource in moto (through the gateway, so URLs name the
gateway) and returns real emulator ids and ARNs, so inputs that depend on them resolve. Compute
wiring that moto must not run (functions, event source mappings, SNS → Lambda) goes into the
registry instead. The deployment runs in its own interpreter (`python -m localcloud.deploy.deployer`)
so the program's imports and the SDK's global state never leak into the serving process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import runpy
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pulumi

from localcloud.core.arns import ACCOUNT_ID, DEFAULT_REGION
from localcloud.core.registry import (AsyncInvokeConfig, EventSourceMapping, FunctionSpec,
                                      PipeSpec, Registry, SnsLambdaSubscription)

from .provider import LocalProvider, RecordingMonitor
from .saved_state import Graph
from .stack_config import DeployError, load_stack_config

log = logging.getLogger("localcloud.deployer")

ERROR_SUFFIX = ".error"  # beside the result file: the DeployError's message



@dataclass
class Deployment:
    """What a deployment produced: the registry for the cloud and the facts for the summary."""

    project: str
    stack: str
    region: str
    outputs: dict[str, Any] = field(default_factory=dict)
    registry: Registry = field(default_factory=Registry)
    created: dict[str, int] = field(default_factory=dict)  # type token -> count
    components: dict[str, int] = field(default_factory=dict)
    not_emulated: dict[str, list[str]] = field(default_factory=dict)  # type token -> names
    notes: list[str] = field(default_factory=list)
    external_layers: list[str] = field(default_factory=list)
    # every registered resource: urn, type, name, parent (URN), id
    resources: list[dict[str, str]] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)  # adopt | update | create -> count
    graph_token: str = ""  # ties the saved graph to moto's saved state (emulator/snapshot.py)
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> "Deployment":
        data = json.loads(text)
        raw = data.pop("registry")
        functions = {}
        for name, spec in raw["functions"].items():
            spec["async_config"] = AsyncInvokeConfig(**spec["async_config"])
            functions[name] = FunctionSpec(**spec)
        registry = Registry(
            functions=functions,
            event_source_mappings=[EventSourceMapping(**m) for m in raw["event_source_mappings"]],
            sns_lambda_subscriptions=[SnsLambdaSubscription(**s)
                                      for s in raw["sns_lambda_subscriptions"]],
            rest_api_ids=raw["rest_api_ids"],
            pipes=[PipeSpec(**p) for p in raw["pipes"]],
        )
        return cls(registry=registry, **data)


# -- running a program ------------------------------------------------------------------------

def deploy(project_dir: str, stack: str, *, endpoint_url: str, state_dir: str,
           graph_out: str, previous_graph: str | None = None) -> Deployment:
    """Evaluate the program in `project_dir` for `stack` and create its resources (against
    the graph saved at `previous_graph`: adopt, update or create them); the new graph is
    written to `graph_out`.

    Runs in this interpreter and changes its cwd, sys.path and the Pulumi SDK's global
    settings: call it through `python -m localcloud.deploy.deployer` (see `deploy_in_subprocess`).
    """
    import boto3
    import botocore.config
    from pulumi.runtime import config as pulumi_config
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from .resources.base import Context

    started = time.monotonic()
    project_dir = os.path.abspath(project_dir)
    project, config, secret_keys = load_stack_config(project_dir, stack)
    region = config.get("aws:region", DEFAULT_REGION)
    os.makedirs(state_dir, exist_ok=True)

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name=region)
    clients: dict[str, Any] = {}
    clients_lock = threading.Lock()
    client_config = botocore.config.Config(retries={"max_attempts": 2},
                                           max_pool_connections=20)

    def aws(service: str):
        with clients_lock:  # boto3 client creation is not thread-safe; clients are
            if service not in clients:
                clients[service] = session.client(service, endpoint_url=endpoint_url,
                                                  config=client_config)
            return clients[service]

    ctx = Context(aws=aws, region=region, account_id=ACCOUNT_ID, endpoint_url=endpoint_url,
                  state_dir=state_dir, project_dir=project_dir, project=project, stack=stack)
    provider = LocalProvider(ctx, Graph.read(previous_graph)[0] if previous_graph else None)
    monitor = RecordingMonitor(provider)

    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    pulumi_config.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(provider, project=project, stack=stack, preview=False,
                             monitor=monitor)

    async def program() -> None:
        runpy.run_path(os.path.join(project_dir, "__main__.py"), run_name="__main__")
        root = get_root_resource()
        async_program = root._take_async_program() if hasattr(root, "_take_async_program") else None
        if async_program is not None:  # `pulumi.run(main)`
            root._add_program_outputs(await async_program())

    try:
        _sync_await(run_pulumi_func(program))
    except Exception as error:
        details = "\n  ".join(provider.errors) or f"{type(error).__name__}: {error}"
        raise DeployError(f"the program failed:\n  {details}") from error
    if provider.errors:
        raise DeployError("some resources failed:\n  " + "\n  ".join(provider.errors))
    provider.check_complete()

    async def resolve_outputs() -> dict[str, Any]:
        outputs = {}
        for name, value in get_root_resource().outputs.items():
            outputs[name] = await pulumi.Output.from_input(value).future()
        return outputs

    outputs = _sync_await(resolve_outputs())
    return Deployment(
        project=project, stack=stack, region=region, outputs=outputs, registry=ctx.registry,
        created=dict(provider.created), components=dict(provider.components),
        not_emulated={k: v for k, v in provider.not_emulated.items()}, notes=ctx.notes,
        external_layers=sorted(ctx.external_layers), resources=monitor.registered,
        actions=dict(provider.actions), graph_token=provider.graph.write(graph_out),
        seconds=time.monotonic() - started,
    )


def deploy_in_subprocess(project_dir: str, stack: str, *, endpoint_url: str,
                         state_dir: str, graph_out: str, previous_graph: str | None = None,
                         timeout: float = 300) -> Deployment:
    """Run `deploy` in a fresh interpreter and read its result back."""
    import subprocess

    os.makedirs(state_dir, exist_ok=True)
    result_path = os.path.join(state_dir, "deployment.json")
    for stale in (result_path, result_path + ERROR_SUFFIX):
        if os.path.exists(stale):
            os.remove(stale)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    completed = subprocess.run(
        [sys.executable, "-m", "localcloud.deploy.deployer", "--project-dir", project_dir,
         "--stack", stack, "--endpoint-url", endpoint_url, "--state-dir", state_dir,
         "--result", result_path, "--graph-out", graph_out]
        + (["--previous-graph", previous_graph] if previous_graph else []),
        env=env, stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    if os.path.exists(result_path + ERROR_SUFFIX):  # a DeployError: raised here as it was
        with open(result_path + ERROR_SUFFIX, encoding="utf-8") as handle:
            raise DeployError(handle.read())
    if completed.returncode != 0 or not os.path.exists(result_path):
        raise DeployError(f"deployment of stack {stack!r} failed (see the messages above)")
    with open(result_path, encoding="utf-8") as handle:
        return Deployment.from_json(handle.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.deploy.deployer")
    parser.add_argument("--project-dir", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--graph-out", required=True)
    parser.add_argument("--previous-graph", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOCALCLOUD_LOG_LEVEL", "WARNING"),
                        format="deploy: %(levelname)s %(message)s")
    try:
        deployment = deploy(args.project_dir, args.stack, endpoint_url=args.endpoint_url,
                            state_dir=os.path.abspath(args.state_dir),
                            graph_out=args.graph_out, previous_graph=args.previous_graph)
    except DeployError as error:  # the parent raises it (and the command line prints it)
        with open(args.result + ERROR_SUFFIX, "w", encoding="utf-8") as handle:
            handle.write(str(error))
        return 1
    with open(args.result, "w", encoding="utf-8") as handle:
        handle.write(deployment.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
