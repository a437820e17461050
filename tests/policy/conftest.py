"""The policy rules against the program's mocked resource graph.

The pack imports its rules as the top-level package `order_policies` (the pack directory is on
its path); the tests import them the same way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = ROOT / "policy"
sys.path.insert(0, str(POLICY_DIR))

from order_policies import UNKNOWN, Resource, environment_of, tags_of  # noqa: E402
from tests.unit.mocks import Graph, evaluate, stack_config  # noqa: E402

STACKS = ("dev", "prod", "local")


@dataclass(frozen=True)
class StackResources:
    """One stack as the engine hands it to a pack: inputs per resource, outputs at the end."""

    stack: str
    inputs: list[Resource]
    outputs: list[Resource]


def with_unknowns_as(value, marker):
    """The graphs are evaluated as a preview: its unknown values replaced by `marker` (the
    rules' UNKNOWN, or the sentinel the engine hands a pack)."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return marker
    if isinstance(value, dict):
        return {k: with_unknowns_as(v, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [with_unknowns_as(v, marker) for v in value]
    return value


def as_policy_resources(graph: Graph, stack: str, outputs: bool) -> list[Resource]:
    """Mocked resources as the pack's adapter builds them; the provider's default tags come
    from the stack's `aws:defaultTags`, as the default AWS provider's inputs do.

    Outputs are the inputs plus what the mock computes; an input wins, because the mock gives
    every resource its own `arn` while some inputs are named `arn` (an EventTarget's target).
    """
    default_tags = tags_of(stack_config(stack).get("aws:defaultTags"))
    resources = []
    for r in graph.resources:
        props = with_unknowns_as({**r.outputs, **r.inputs} if outputs else r.inputs, UNKNOWN)
        resources.append(Resource(
            type=r.type, name=r.name, props=props,
            urn=f"urn:pulumi:{stack}::order-platform::{r.type}::{r.name}",
            environment=environment_of(default_tags, props),
            provider="default_aws", default_tags=default_tags))
    return resources


@pytest.fixture(scope="session")
def stacks() -> dict[str, StackResources]:
    result = {}
    for stack in STACKS:
        graph = evaluate(stack)
        result[stack] = StackResources(stack, as_policy_resources(graph, stack, outputs=False),
                                       as_policy_resources(graph, stack, outputs=True))
    return result
