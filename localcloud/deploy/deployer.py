"""Program → resources: evaluates a Pulumi program under the SDK's mocks with a local provider.

The mocks' `new_resource` creates each resource in moto (through the gateway, so URLs name the
gateway) and returns real emulator ids and ARNs, so inputs that depend on them resolve. Compute
wiring that moto must not run (functions, event source mappings, SNS → Lambda) goes into the
registry instead. The deployment runs in its own interpreter (`python -m localcloud.deployer`)
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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pulumi

from .interfaces import (
    AsyncInvokeConfig,
    EventSourceMapping,
    FunctionSpec,
    Registry,
    SnsLambdaSubscription,
)

log = logging.getLogger("localcloud.deployer")

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


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
        )
        return cls(registry=registry, **data)


class DeployError(RuntimeError):
    pass


# -- stack settings -------------------------------------------------------------------------

def _read_yaml(path: str) -> dict:
    import yaml  # PyYAML comes with the Pulumi SDK

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_stack_config(project_dir: str, stack: str) -> tuple[str, dict[str, str], list[str]]:
    """(project name, config as the SDK expects it, secret keys) from Pulumi.yaml and
    Pulumi.<stack>.yaml. Structured values are JSON-encoded like the Pulumi CLI does."""
    project_file = next((os.path.join(project_dir, f) for f in ("Pulumi.yaml", "Pulumi.yml")
                         if os.path.exists(os.path.join(project_dir, f))), None)
    if project_file is None:
        raise DeployError(f"no Pulumi.yaml in {project_dir}")
    project = _read_yaml(project_file)["name"]
    stack_file = os.path.join(project_dir, f"Pulumi.{stack}.yaml")
    if not os.path.exists(stack_file):
        raise DeployError(f"no stack settings file {stack_file}")
    raw = _read_yaml(stack_file).get("config") or {}
    config, secret_keys = {}, []
    for key, value in raw.items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            raise DeployError(f"config {full_key} is encrypted; the local stack needs plain values")
        if isinstance(value, str):
            config[full_key] = value
        elif isinstance(value, bool):
            config[full_key] = "true" if value else "false"
        else:
            config[full_key] = json.dumps(value)
    return project, config, secret_keys


# -- the local provider -----------------------------------------------------------------------

class LocalProvider(pulumi.runtime.Mocks):
    """The mocks' resource and invoke hooks, backed by moto."""

    def __init__(self, ctx):
        from .resources import HANDLERS

        self.ctx = ctx
        self.handlers = HANDLERS
        self.lock = threading.Lock()
        self.created: Counter[str] = Counter()
        self.components: Counter[str] = Counter()
        self.not_emulated: dict[str, list[str]] = defaultdict(list)
        self.errors: list[str] = []

    def new_resource(self, args):
        from .resources.base import plain

        if not args.custom and not args.typ.startswith("pulumi:providers:"):
            with self.lock:
                self.components[args.typ] += 1
            return "", {}
        inputs = plain(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider", inputs
        if args.resource_id:  # `Resource.get(...)`: nothing to create
            self.ctx.note(f"{args.typ} {args.name}: read by id, returned as given")
            return args.resource_id, inputs
        handler = self.handlers.get(args.typ)
        if handler is None:
            with self.lock:
                self.not_emulated[args.typ].append(args.name)
            return f"{args.name}-not-emulated", {
                **inputs, "arn": self.ctx.arn(args.typ.split(":")[1].split("/")[0],
                                              f"not-emulated/{args.name}"),
                "name": inputs.get("name", args.name)}
        try:
            resource_id, outputs = handler(self.ctx, args.name, inputs)
        except Exception as error:  # reported together at the end, with the resource's name
            message = f"{args.typ} {args.name}: {type(error).__name__}: {error}"
            log.error(message)
            with self.lock:
                self.errors.append(message)
            raise
        with self.lock:
            self.created[args.typ] += 1
        log.debug("created %s %s -> %s", args.typ, args.name, resource_id)
        return resource_id, {**inputs, **{k: v for k, v in outputs.items() if v is not None}}

    def call(self, args):
        ctx = self.ctx
        token = args.token
        if token == "aws:index/getRegion:getRegion":
            return {"region": ctx.region, "name": ctx.region, "id": ctx.region,
                    "description": ctx.region, "endpoint": ctx.endpoint_url}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ctx.account_id, "id": ctx.account_id,
                    "arn": f"arn:aws:iam::{ctx.account_id}:root", "userId": ctx.account_id}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{ctx.region}{s}" for s in "abc"]
            return {"names": names, "zoneIds": names, "id": ctx.region}
        if token == "aws:iam/getPolicyDocument:getPolicyDocument":
            document = policy_document(args.args)
            return {"json": json.dumps(document, indent=2), "minifiedJson": json.dumps(document),
                    "id": str(hash(json.dumps(document)))}
        if token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
            return {"randomPassword": random_password(args.args), "id": "random-password"}
        log.warning("invoke %s is not emulated; it returns {}", token)
        ctx.note(f"invoke {token} is not emulated (returned {{}})")
        return {}


def random_password(args: dict) -> str:
    """secretsmanager.get_random_password, honouring its exclusion options."""
    import secrets
    import string

    alphabet = ""
    if not args.get("excludeLowercase"):
        alphabet += string.ascii_lowercase
    if not args.get("excludeUppercase"):
        alphabet += string.ascii_uppercase
    if not args.get("excludeNumbers"):
        alphabet += string.digits
    if not args.get("excludePunctuation"):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if args.get("includeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in (args.get("excludeCharacters") or ""))
    length = int(float(args.get("passwordLength") or 32))
    return "".join(secrets.choice(alphabet or string.ascii_letters) for _ in range(length))


def policy_document(args: dict) -> dict:
    """aws.iam.get_policy_document, for the statements programs commonly write."""
    statements = []
    for item in args.get("statements") or []:
        statement: dict[str, Any] = {}
        if item.get("sid"):
            statement["Sid"] = item["sid"]
        statement["Effect"] = item.get("effect", "Allow")
        for key, wire in (("actions", "Action"), ("notActions", "NotAction"),
                          ("resources", "Resource"), ("notResources", "NotResource")):
            if item.get(key):
                values = sorted(item[key])
                statement[wire] = values[0] if len(values) == 1 else values
        for key, wire in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if item.get(key):
                principals: dict[str, Any] = {}
                for principal in item[key]:
                    ids = principal["identifiers"]
                    principals[principal["type"]] = ids[0] if len(ids) == 1 else ids
                statement[wire] = principals
        if item.get("conditions"):
            conditions: dict[str, dict] = defaultdict(dict)
            for condition in item["conditions"]:
                values = condition["values"]
                conditions[condition["test"]][condition["variable"]] = (
                    values[0] if len(values) == 1 else values)
            statement["Condition"] = dict(conditions)
        statements.append(statement)
    return {"Version": args.get("version") or "2012-10-17", "Statement": statements}


# -- running a program ------------------------------------------------------------------------

def deploy(project_dir: str, stack: str, *, endpoint_url: str, state_dir: str) -> Deployment:
    """Evaluate the program in `project_dir` for `stack` and create its resources.

    Runs in this interpreter and changes its cwd, sys.path and the Pulumi SDK's global
    settings: call it through `python -m localcloud.deployer` (see `deploy_in_subprocess`).
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
                  state_dir=state_dir, project_dir=project_dir)
    provider = LocalProvider(ctx)

    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    pulumi_config.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(provider, project=project, stack=stack, preview=False)

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
        external_layers=sorted(ctx.external_layers), seconds=time.monotonic() - started,
    )


def deploy_in_subprocess(project_dir: str, stack: str, *, endpoint_url: str,
                         state_dir: str, timeout: float = 300) -> Deployment:
    """Run `deploy` in a fresh interpreter and read its result back."""
    import subprocess

    os.makedirs(state_dir, exist_ok=True)
    result_path = os.path.join(state_dir, "deployment.json")
    if os.path.exists(result_path):
        os.remove(result_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    completed = subprocess.run(
        [sys.executable, "-m", "localcloud.deployer", "--project-dir", project_dir,
         "--stack", stack, "--endpoint-url", endpoint_url, "--state-dir", state_dir,
         "--result", result_path],
        env=env, stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    if completed.returncode != 0 or not os.path.exists(result_path):
        raise DeployError(f"deployment of stack {stack!r} failed (see the messages above)")
    with open(result_path, encoding="utf-8") as handle:
        return Deployment.from_json(handle.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.deployer")
    parser.add_argument("--project-dir", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOCALCLOUD_LOG_LEVEL", "WARNING"),
                        format="deploy: %(levelname)s %(message)s")
    try:
        deployment = deploy(args.project_dir, args.stack, endpoint_url=args.endpoint_url,
                            state_dir=os.path.abspath(args.state_dir))
    except DeployError as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 1
    with open(args.result, "w", encoding="utf-8") as handle:
        handle.write(deployment.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
