"""The local provider: the Pulumi SDK mocks' resource and invoke hooks, backed by moto.

`new_resource` hands each custom resource to its type's handler (`resources/`), which creates
it in moto and returns real ids, ARNs and URLs; component resources create nothing; any other
type is listed as not emulated. Against a saved deployment (`saved_state.Graph`) the graph diff
decides per resource: adopted (the handler replays its saved calls), updated in place
(`updates`) or created; what cannot be applied in place is collected into `NeedsFresh`.
`call` answers the data-source invokes programs commonly use.
`RecordingMonitor` keeps every registration's URN, parent and id (the console shows resources by
component: the mocks' URNs carry only the parent's type, not which component it is).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections import Counter, defaultdict
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

from .graph_diff import ADOPT, RESTART, UPDATE, GraphDiff, canonical, resource_key
from .saved_state import Graph, RecordingClients, ReplayClients
from .stack_config import DeployError
from .updates import REPLACING_KEYS, UPDATABLE, updating

log = logging.getLogger("localcloud.deployer")


class NeedsFresh(DeployError):
    """Changes since the saved deployment that the local provider cannot apply in place."""

    def __init__(self, problems: list[str]):
        super().__init__("needs a restart with --fresh (the saved state is kept as it was):\n  "
                         + "\n  ".join(problems))
        self.problems = problems


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also recording each resource's type, name, parent URN and id."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registered: list[dict[str, str]] = []

    def RegisterResource(self, request):  # noqa: N802 (the monitor's RPC name)
        # The mocks' hook is not given `ignore_changes`; the graph diff needs it.
        self.mocks.registering.ignore_changes = frozenset(request.ignoreChanges)
        response = super().RegisterResource(request)
        self.registered.append({"urn": response.urn, "type": request.type, "name": request.name,
                                "parent": request.parent, "id": response.id})
        return response


class LocalProvider(pulumi.runtime.Mocks):
    """The mocks' resource and invoke hooks, backed by moto."""

    def __init__(self, ctx, previous: Graph | None = None):
        from .resources import HANDLERS

        self.ctx = ctx
        self.handlers = HANDLERS
        self.lock = threading.Lock()
        self.previous = previous or Graph()
        self.diff = GraphDiff(self.previous.inputs(), updatable=UPDATABLE,
                              replacing=REPLACING_KEYS)
        # what this deployment leaves, saved for the next start
        self.graph = Graph(endpoint=ctx.endpoint_url)
        self.registering = threading.local()
        self.actions: Counter[str] = Counter()  # adopt | update | create
        self.needs_fresh: list[str] = []  # changes that cannot be applied in place
        self.created: Counter[str] = Counter()  # type token -> count (whatever the action)
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
            resource_id, outputs = self._apply(handler, args.typ, args.name, inputs)
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

    def _apply(self, handler, type_token: str, name: str, inputs: dict) -> tuple[str, dict]:
        """Create, update or adopt the resource as the graph diff decides, recording its calls."""
        key = resource_key(type_token, name)
        canonical_inputs = canonical(inputs)
        decision = self.diff.decide(type_token, name, canonical_inputs,
                                    getattr(self.registering, "ignore_changes", frozenset()))
        if decision.action in (ADOPT, RESTART):  # RESTART: reported at the end, not applied
            clients = ReplayClients(self.previous.resources[key]["calls"])
        else:
            clients = RecordingClients(updating(self.ctx.aws, type_token)
                                       if decision.action == UPDATE else self.ctx.aws)
        if decision.action == RESTART:
            with self.lock:
                self.needs_fresh.append(f"{type_token} {name}: {', '.join(decision.changed)} "
                                        "changed")
        elif decision.action == UPDATE:
            log.info("updating %s %s: %s", type_token, name, ", ".join(decision.changed))
        result = handler(dataclasses.replace(self.ctx, aws=clients), name, inputs)
        self.graph.put(key, type_token, canonical_inputs, clients.calls)
        with self.lock:
            self.actions[decision.action] += 1
        return result

    def check_complete(self) -> None:
        """After the program: what was deployed last time and is gone, or changed beyond
        what can be applied in place, needs a fresh start (nothing of it was saved)."""
        problems = self.needs_fresh + [f"{key.replace('::', ' ')}: removed from the program"
                                       for key in self.diff.removed()]
        if problems:
            raise NeedsFresh(problems)

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
