"""Deprecations the program causes fail the unit suite; Pulumi.yaml's runtime options."""

import re
import warnings
from pathlib import Path

import pulumi_aws as aws
import pytest
import yaml

from tests.unit.deprecations import ProgramDeprecation, program_deprecations_fail
from tests.unit.mocks import ROOT, Graph, evaluate

PROGRAMS = Path(__file__).with_name("programs")
STACKS = ("dev", "prod", "local")


def deprecated_inputs(graph: Graph) -> list[str]:
    """`resource.argument` for every input whose property pulumi_aws marks deprecated.

    A resource's own arguments warn only through the engine (not under mocks), while the
    property of the same name carries pulumi_aws's deprecation mark.
    """
    found = []
    for resource in graph.resources:
        for key in resource.inputs:
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
            prop = getattr(resource.python_class, name, None)
            if isinstance(prop, property) and \
                    hasattr(prop.fget, "_pulumi_deprecated_callable"):
                found.append(f"{resource.name}.{name}")
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_sets_a_deprecated_argument(graphs, stack):
    assert all(r.python_class for r in graphs[stack].resources)
    assert deprecated_inputs(graphs[stack]) == []


def test_a_deprecated_argument_is_found():
    graph = evaluate("dev", program=PROGRAMS / "deprecated_argument.py")
    assert deprecated_inputs(graph) == ["deprecated-rule.is_enabled"]


def test_a_deprecated_args_class_argument_in_the_evaluated_program_fails_its_evaluation():
    with pytest.raises(ProgramDeprecation, match="deprecated_args.py:.*is_enabled"):
        evaluate("dev", program=PROGRAMS / "deprecated_args.py")


def test_a_deprecated_property_read_from_program_code_fails():
    region = aws.GetRegionResult(description="Europe (Ireland)", endpoint="ec2.eu-west-1",
                                 id="eu-west-1", name="eu-west-1", region="eu-west-1")
    with program_deprecations_fail(extra_code=[Path(__file__)]):
        with pytest.raises(ProgramDeprecation, match="name is deprecated"):
            region.name  # noqa: B018 - the read is what warns


def test_a_library_deprecation_outside_program_code_is_recorded_not_raised():
    with warnings.catch_warnings(record=True) as seen:
        with program_deprecations_fail():
            aws.cloudwatch.EventRuleArgs(is_enabled=True)
    assert any(issubclass(w.category, DeprecationWarning) for w in seen)


def test_pulumi_yaml_runs_python_from_the_venv_with_pip():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "order-platform"
    assert project["runtime"] == {"name": "python",
                                  "options": {"toolchain": "pip", "virtualenv": "venv"}}
    # pip installs requirements.txt into `venv`, the directory the Makefile creates.
    assert (ROOT / "requirements.txt").is_file()
    makefile = (ROOT / "Makefile").read_text()
    assert "VENV := venv" in makefile


def test_the_project_name_is_the_settings_namespace():
    from stack_settings import PROJECT

    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"] == PROJECT
