"""Every rule of the pack passes on the program itself, for every stack."""

from __future__ import annotations

import pytest

from order_policies import RULES, run

from tests.policy.conftest import STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_program_has_no_violations(stacks, stack):
    found = run(RULES, stacks[stack].inputs, stacks[stack].outputs)
    assert not found, "\n".join(f"[{v.rule}] {v.message}" for v in found)


@pytest.mark.parametrize("stack", STACKS)
def test_environment_comes_from_default_tags(stacks, stack):
    # The prod-only rules key on this; a stack without the tag fails `required-tags`.
    aws_resources = [r for r in stacks[stack].inputs if r.type.startswith("aws:")]
    assert aws_resources
    assert {r.environment for r in aws_resources} == {stack}


def test_rule_names_are_unique_and_described():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert all(rule.description.endswith(".") for rule in RULES)
