"""One source for the Powertools the functions run and the one the handlers are tested with."""

import io
import re
import zipfile
from importlib.metadata import version

import boto3
import pytest
from moto import mock_aws

import powertools_layer
from tests.unit.mocks import ROOT
from tests.unit.order_graph import FUNCTION, STACKS, settings

CHECK_SCRIPT = ROOT / "scripts" / "check_powertools_layer.py"


def test_the_layer_release_is_the_tested_release():
    assert powertools_layer.RELEASE == version("aws-lambda-powertools")
    pin = re.search(r"^aws-lambda-powertools(?:\[[^\]]*\])?==(\S+)$",
                    (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pin and pin.group(1) == powertools_layer.RELEASE


@pytest.mark.parametrize("architecture", ["arm64", "x86_64"])
def test_the_release_has_a_layer_for_each_architecture(architecture):
    assert powertools_layer.layer_version(architecture, "eu-west-1") >= 1


@pytest.mark.parametrize("stack", STACKS)
def test_every_function_runs_the_layer_of_the_tested_release(graphs, stack):
    s = settings(stack)
    expected = (f"arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-"
                f"{s.runtime.replace('.', '')}-{s.architecture}:"
                f"{powertools_layer.layer_version(s.architecture, 'eu-west-1')}")
    for fn in graphs[stack].of_type(FUNCTION):
        assert expected in fn.inputs["layers"], fn.name


def _publish(client, name: str, count: int, description: str) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("python/aws_lambda_powertools/__init__.py", "")
    for n in range(1, count + 1):
        client.publish_layer_version(
            LayerName=name, Content={"ZipFile": archive.getvalue()},
            Description=description if n == count else "an older release version 3.0.0")


@pytest.mark.parametrize("described,ok", [(powertools_layer.RELEASE, True), ("3.1.0", False)])
def test_the_check_reads_the_layer_description(monkeypatch, described, ok):
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_powertools_layer", CHECK_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    # The layers live in the Powertools account: moto serves that account for the check.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", powertools_layer.TABLE["account"])
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("lambda", region_name="eu-west-1")
        _publish(client, "AWSLambdaPowertoolsPythonV3-python313-arm64",
                 powertools_layer.layer_version("arm64", "eu-west-1"),
                 f"Powertools for AWS Lambda (Python) V3 [arm64 - Python 3.13] with extra "
                 f"dependencies version {described}")
        passed, detail = script.check("eu-west-1", "arm64", "python3.13", client)
    assert passed is ok and described in detail
