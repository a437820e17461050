"""The deployment's redeploy hash covers every input of every API sub-resource.

The hash must equal one computed here from what the engine registered for each sub-resource
(methods, integrations and their responses, models, validator, gateway responses, authorizer,
resources): then no input can change without a new hash. A summary written by hand, which
left out integration URIs, timeouts, validator flags and request parameters, fails here.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.unit.mocks import ROOT, evaluate, stack_config

PROGRAM = ROOT / "tests" / "unit" / "programs" / "monitored_sample.py"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
STACKS = ("dev", "prod", "local")
SUB_RESOURCES = tuple(f"aws:apigateway/{t}" for t in (
    "method:Method", "integration:Integration", "methodResponse:MethodResponse",
    "integrationResponse:IntegrationResponse", "model:Model",
    "requestValidator:RequestValidator", "response:Response", "authorizer:Authorizer",
    "resource:Resource"))


def _whole(value):
    """The engine carries numbers as floats: 29000.0 is the 29000 the program gave."""
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _hash(graph) -> str:
    return graph.named("api-deployment", DEPLOYMENT).inputs["triggers"]["redeployment"]


def _registered_hash(graph) -> str:
    parts = sorted(({"type": r.type, "name": r.name, "inputs": _whole(r.inputs)}
                    for r in graph.resources if r.type in SUB_RESOURCES),
                   key=lambda p: (p["type"], p["name"]))
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("stack", STACKS)
def test_the_hash_is_of_every_input_every_sub_resource_was_registered_with(graphs, stack):
    kinds = {r.type for r in graphs[stack].resources if r.type in SUB_RESOURCES}
    assert kinds == set(SUB_RESOURCES)
    assert _hash(graphs[stack]) == _registered_hash(graphs[stack])


@pytest.mark.parametrize("stack", STACKS)
def test_the_hash_is_known_at_preview(graphs, stack):
    # Known inputs give a known hash: a preview shows no pending redeployment unless an
    # input of the API changed (the graphs are evaluated as a preview).
    assert isinstance(_hash(graphs[stack]), str) and len(_hash(graphs[stack])) == 64


def test_provisioned_concurrency_changes_the_hash():
    """With it, integrations target the `live` alias; without it, the unqualified function."""
    config = stack_config("dev")
    config["order-platform:lambdaConcurrencyQuota"] = "1000"
    config["order-platform:api"] = json.dumps({**json.loads(config["order-platform:api"]),
                                               "provisionedConcurrency": {"get-user": 2}})
    cold, warm = evaluate("dev", program=PROGRAM), evaluate("dev", config, program=PROGRAM)
    uris = {i.inputs["uri"] for i in warm.of_type("aws:apigateway/integration:Integration")
            if i.inputs["type"] == "AWS_PROXY"}
    assert {u for u in uris if u.endswith(":live/invocations")} == {
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:"
        "eu-west-1:123456789012:function:order-platform-dev-get-user:live/invocations"}
    assert _hash(warm) != _hash(cold)
    assert _hash(cold) == _hash(evaluate("dev", program=PROGRAM))
