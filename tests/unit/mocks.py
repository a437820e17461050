"""Pulumi mocks that record the resource graph and produce the outputs AWS would compute.

Outputs the program reads later (name, arn, invoke_arn, execution_arn, url...) are produced
here; without them, inputs that depend on them would resolve to nothing.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from stack_settings import PROJECT
from tests.unit.deprecations import program_deprecations_fail

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"


@dataclass
class Resource:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    python_class: type | None = None  # e.g. pulumi_aws.sqs.Queue


def _service(typ: str) -> str:
    return typ.split(":")[1].split("/")[0].replace("cloudwatch", "logs")


def _outputs(typ: str, name: str, inputs: dict) -> tuple[str, dict]:
    """The id and computed outputs of one resource, shaped like the real provider's."""
    out = dict(inputs)
    physical = inputs.get("name") or f"{name}-1a2b3c"
    arn = f"arn:aws:{_service(typ)}:{REGION}:{ACCOUNT}:{physical}"
    rid = f"{name}-id"
    if typ == "aws:lambda/function:Function":
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}"
        out["invokeArn"] = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                            f"{arn}/invocations")
        out["version"] = "1"
        out["qualifiedArn"] = f"{arn}:1"
    elif typ == "aws:lambda/alias:Alias":
        fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{inputs['functionName']}"
        arn = f"{fn_arn}:{inputs['name']}"
        out["invokeArn"] = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                            f"{arn}/invocations")
    elif typ == "aws:lambda/layerVersion:LayerVersion":
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{inputs['layerName']}:1"
    elif typ == "aws:apigateway/restApi:RestApi":
        rid = f"{name}api01"
        out["rootResourceId"] = "root01"
        out["executionArn"] = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{rid}"
        arn = f"arn:aws:apigateway:{REGION}::/restapis/{rid}"
    elif typ == "aws:apigateway/stage:Stage":
        out["invokeUrl"] = (f"https://{inputs['restApi']}.execute-api.{REGION}.amazonaws.com/"
                            f"{inputs['stageName']}")
    elif typ == "aws:sqs/queue:Queue":
        physical = inputs.get("name") or f"{name}-1a2b3c"
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}"
        rid = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
        out["url"] = rid
    elif typ == "aws:dynamodb/table:Table":
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}"
        if inputs.get("streamEnabled"):
            out["streamLabel"] = "2026-01-01T000000.000"  # no colons: IAM linters split ARNs on them
            out["streamArn"] = f"{arn}/stream/{out['streamLabel']}"
    elif typ == "aws:iam/role:Role":
        arn = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
    elif typ == "aws:cloudwatch/logGroup:LogGroup":
        arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}"
    elif typ == "aws:cloudwatch/eventRule:EventRule":
        bus = inputs.get("eventBusName", "default")
        arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}/{physical}"
    elif typ == "aws:cloudwatch/eventBus:EventBus":
        arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{physical}"
    elif typ == "aws:sns/topic:Topic":
        arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{physical}"
        rid = arn
    elif typ == "aws:sfn/stateMachine:StateMachine":
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{physical}"
        rid = arn
    elif typ == "aws:secretsmanager/secret:Secret":
        arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{physical}-AbCdEf"
        rid = arn
    elif typ == "aws:kms/key:Key":
        rid = "1234abcd-12ab-34cd-56ef-1234567890ab"
        arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{rid}"
        out["keyId"] = rid
    elif typ == "aws:cognito/userPool:UserPool":
        rid = f"{REGION}_{name.replace('-', '')[:9]}"
        arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{rid}"
        out["endpoint"] = f"cognito-idp.{REGION}.amazonaws.com/{rid}"
    elif typ == "aws:cognito/userPoolClient:UserPoolClient":
        rid = f"{name.replace('-', '')}client01"
    elif typ == "aws:cloudwatch/dashboard:Dashboard":
        out.setdefault("dashboardName", physical)
        arn = f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{out['dashboardName']}"
    out.setdefault("name", physical)
    out.setdefault("arn", arn)
    out.setdefault("id", rid)
    return rid, out


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[Resource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        rid, outputs = _outputs(args.typ, args.name, args.inputs)
        self.resources.append(Resource(args.typ, args.name, args.inputs, outputs))
        return rid, outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": REGION, "name": REGION, "id": REGION}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/test",
                    "userId": "AIDTEST", "id": ACCOUNT}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if args.token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
            return {"randomPassword": "generated-test-password", "id": "pw"}
        raise NotImplementedError(f"no mock for call {args.token}")


def stack_config(stack: str) -> dict[str, str]:
    """A stack file's config as the engine passes it: structured values as JSON text."""
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


@dataclass
class Graph:
    """The resource graph of one evaluation of the program."""

    resources: list[Resource]
    outputs: dict[str, Any]

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str, typ: str | None = None) -> Resource:
        matches = [r for r in self.resources if r.name == name and typ in (None, r.type)]
        assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
        return matches[0]


def evaluate(stack: str, config: dict[str, str] | None = None,
             program: Path = ROOT / "__main__.py",
             mocks: RecordingMocks | None = None, preview: bool = True) -> Graph:
    """Run the program under mocks to completion and return its resource graph and outputs.

    As `pulumi preview` by default (the program refuses some configs at `up` only, e.g. prod
    with a placeholder address); `preview=False` runs it as `pulumi up`.

    `pulumi.runtime.test` awaits every outstanding registration and output, so the recorded
    inputs are final when this returns.
    """
    mocks = mocks or RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview)
    pulumi.runtime.set_all_config(stack_config(stack) if config is None else config)
    exported: dict[str, Any] = {}

    options: dict[tuple[str, str], dict[str, Any]] = {}
    classes: dict[tuple[str, str], type] = {}

    def record_options(args: pulumi.ResourceTransformationArgs):
        opts = args.opts or pulumi.ResourceOptions()
        depends = opts.depends_on if isinstance(opts.depends_on, list) else \
            [opts.depends_on] if opts.depends_on else []
        classes[(args.type_, args.name)] = type(args.resource)
        options[(args.type_, args.name)] = {
            "protect": bool(opts.protect),
            "retain_on_delete": bool(opts.retain_on_delete),
            "delete_before_replace": bool(opts.delete_before_replace),
            "ignore_changes": list(opts.ignore_changes or []),
            "depends_on": [(d._type, d._name) for d in depends],
            "parent": getattr(opts.parent, "_name", None),
        }
        return None

    @pulumi.runtime.test
    def run():
        pulumi.runtime.register_stack_transformation(record_options)
        runpy.run_path(str(program), run_name="__pulumi_program__")
        stack_resource = pulumi.runtime.get_root_resource()
        outputs = getattr(stack_resource, "outputs", {})
        names = list(outputs)
        return pulumi.Output.all(*[outputs[n] for n in names]).apply(
            lambda values: exported.update(zip(names, values)))

    # A deprecated argument, function or property used by the program fails its evaluation.
    with program_deprecations_fail(extra_code=[program]):
        run()
    for resource in mocks.resources:
        resource.options = options.get((resource.type, resource.name), {})
        resource.python_class = classes.get((resource.type, resource.name))
    return Graph(mocks.resources, exported)
