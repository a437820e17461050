"""The deployment's redeploy hash: every property of every API sub-resource is in it.

Each case evaluates the small sample program (users API) with one input of one API sub-resource
changed, as if the program had passed another value, and expects another hash: a summary
written by hand (which left out integration URIs, timeouts, validator flags...) fails here.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.mocks import ROOT, RecordingMocks, evaluate, stack_config

PROGRAM = ROOT / "tests" / "unit" / "programs" / "monitored_sample.py"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
SUB_RESOURCES = ("method:Method", "integration:Integration", "methodResponse:MethodResponse",
                 "integrationResponse:IntegrationResponse", "model:Model",
                 "requestValidator:RequestValidator", "response:Response",
                 "authorizer:Authorizer", "resource:Resource")


def _changed(value):
    """Another value of the same shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, dict):
        return {**value, "changed": True}
    if isinstance(value, list):
        return [*value, "changed"]
    raise TypeError(f"no changed value for {value!r}")


class ChangingMocks(RecordingMocks):
    """Registers the resource `name` as if the program had given `key` another value."""

    def __init__(self, name: str, key: str) -> None:
        super().__init__()
        self._name, self._key = name, key

    def new_resource(self, args):
        if args.name == self._name:
            args.inputs = {**args.inputs, self._key: _changed(args.inputs[self._key])}
        return super().new_resource(args)


def _hash(graph) -> str:
    return graph.named("api-deployment", DEPLOYMENT).inputs["triggers"]["redeployment"]


def _evaluate(config=None, mocks=None):
    return evaluate("dev", config, program=PROGRAM, mocks=mocks)


BASELINE = _evaluate()
CASES = [(f"aws:apigateway/{typ}", resource.name, key)
         for typ in SUB_RESOURCES
         for resource in BASELINE.of_type(f"aws:apigateway/{typ}")[:1]
         for key in sorted(resource.inputs)]


def test_every_sub_resource_kind_is_covered():
    assert {typ for typ, _, _ in CASES} == {f"aws:apigateway/{t}" for t in SUB_RESOURCES}
    assert len(_hash(BASELINE)) == 64


@pytest.mark.parametrize("typ,name,key", CASES, ids=[f"{n}.{k}" for _, n, k in CASES])
def test_changing_any_input_of_an_api_sub_resource_changes_the_hash(typ, name, key):
    assert _hash(_evaluate(mocks=ChangingMocks(name, key))) != _hash(BASELINE)


def test_the_same_program_gives_the_same_hash():
    assert _hash(_evaluate()) == _hash(BASELINE)


def test_provisioned_concurrency_changes_the_hash():
    """With it, integrations target the `live` alias; without it, the unqualified function."""
    config = stack_config("dev")
    config["order-platform:lambdaConcurrencyQuota"] = "1000"
    config["order-platform:api"] = json.dumps({**json.loads(config["order-platform:api"]),
                                               "provisionedConcurrency": {"get-user": 2}})
    warm = _evaluate(config)
    uris = {i.inputs["uri"] for i in warm.of_type("aws:apigateway/integration:Integration")
            if i.inputs["type"] == "AWS_PROXY"}
    assert {u for u in uris if u.endswith(":live/invocations")} == {
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:"
        "eu-west-1:123456789012:function:order-platform-dev-get-user:live/invocations"}
    assert _hash(warm) != _hash(BASELINE)
