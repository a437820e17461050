"""PythonFunction on the mocked graph: packaging, log group, role, tracing, sizing."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pulumi
import pytest

from tests.unit.mocks import ROOT


STACKS = ["dev", "prod", "local"]
FUNCTION = "aws:lambda/function:Function"


def functions(graph):
    return graph.of_type(FUNCTION)


def write_zip(archive: pulumi.AssetArchive, path: Path) -> list[str]:
    """Build the zip Pulumi would upload from an AssetArchive of FileAssets."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, asset in archive.assets.items():
            zf.write(asset.path, name)
    with zipfile.ZipFile(path) as zf:
        return sorted(zf.namelist())


@pytest.mark.parametrize("stack", STACKS)
def test_function_archive_holds_only_its_own_module(graphs, stack, tmp_path):
    for fn in functions(graphs[stack]):
        module = fn.inputs["handler"].removesuffix(".handler").replace(".", "/") + ".py"
        area = module.rsplit("/", 1)[0]
        names = write_zip(fn.inputs["code"], tmp_path / "fn.zip")
        assert names == sorted([module, f"{area}/__init__.py"]), fn.name


def test_shared_layer_has_python_prefix_shared_code_and_its_pinned_dependencies(graphs, tmp_path):
    layer = graphs["dev"].of_type("aws:lambda/layerVersion:LayerVersion")[0]
    names = write_zip(layer.inputs["code"], tmp_path / "layer.zip")
    assert names and all(n.startswith("python/") for n in names)
    assert "python/lambdas/shared/models.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # email-validator (pinned in requirements.txt) and what it requires, nothing else
    packages = {n.split("/")[1] for n in names if not n.startswith("python/lambdas/")}
    assert {"email_validator", "idna", "dns"} <= packages
    assert {p for p in packages if not p.endswith(".dist-info")} == {"email_validator", "idna", "dns"}
    pinned = (ROOT / "requirements.txt").read_text()
    version = next(p.removesuffix(".dist-info").split("-")[1] for p in packages
                   if p.startswith("email_validator-"))
    assert f"email-validator=={version}" in pinned


def test_function_and_layer_merge_into_an_importable_handler(graphs, tmp_path):
    """Unzipped as Lambda does (/var/task and /opt), the handler module imports."""
    graph = graphs["dev"]
    fn = graph.named("get-user", FUNCTION)
    layer = graph.of_type("aws:lambda/layerVersion:LayerVersion")[0]
    task, opt = tmp_path / "task", tmp_path / "opt"
    for archive, target in ((fn.inputs["code"], task), (layer.inputs["code"], opt)):
        write_zip(archive, tmp_path / "a.zip")
        zipfile.ZipFile(tmp_path / "a.zip").extractall(target)
    module = fn.inputs["handler"].removesuffix(".handler")
    code = (f"import sys; sys.path[:0] = [{str(task)!r}, {str(opt / 'python')!r}]; "
            f"import importlib; m = importlib.import_module({module!r}); "
            f"import lambdas.shared; print(callable(m.handler), lambdas.shared.__file__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd="/", env={"AWS_DEFAULT_REGION": "eu-west-1",
                                          "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True") and str(opt) in result.stdout


@pytest.mark.parametrize("stack", STACKS)
def test_log_group_with_retention_is_wired_through_logging_config(graphs, stack):
    graph = graphs[stack]
    groups = {g.inputs["name"]: g for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")}
    retention = {"dev": 14, "prod": 90, "local": 1}[stack]
    for fn in functions(graph):
        logging = fn.inputs["loggingConfig"]
        assert logging["logFormat"] == "JSON"
        assert logging["logGroup"] == f"/aws/lambda/{fn.inputs['name']}"
        assert groups[logging["logGroup"]].inputs["retentionInDays"] == retention
        # The group exists before the function, so Lambda never creates an unmanaged one.
        assert ("aws:cloudwatch/logGroup:LogGroup", f"{fn.name}-logs") in fn.options["depends_on"]


@pytest.mark.parametrize("stack", STACKS)
def test_function_roles_trust_lambda_only(graphs, stack):
    graph = graphs[stack]
    for fn in functions(graph):
        role = graph.named(f"{fn.name}-role", "aws:iam/role:Role")
        policy = json.loads(role.inputs["assumeRolePolicy"])
        principals = [s["Principal"] for s in policy["Statement"]]
        assert principals == [{"Service": "lambda.amazonaws.com"}], role.name


@pytest.mark.parametrize("stack", STACKS)
def test_base_policy_scopes_logs_to_own_group_and_xray_only_when_tracing(graphs, stack):
    graph = graphs[stack]
    tracing = stack != "local"
    for fn in functions(graph):
        base = json.loads(graph.named(f"{fn.name}-base").inputs["policy"])
        statements = {tuple(s["Action"]): s["Resource"] for s in base["Statement"]}
        group = fn.inputs["loggingConfig"]["logGroup"]
        assert statements[("logs:CreateLogStream", "logs:PutLogEvents")] == [
            f"arn:aws:logs:eu-west-1:123456789012:log-group:{group}:*"]
        assert (("xray:PutTelemetryRecords", "xray:PutTraceSegments") in statements) is tracing
        assert fn.inputs["tracingConfig"]["mode"] == ("Active" if tracing else "PassThrough")
        # Active tracing fails at create without the X-Ray grant: the function waits for it.
        assert ("aws:iam/rolePolicy:RolePolicy", f"{fn.name}-base") in fn.options["depends_on"]


@pytest.mark.parametrize("stack", STACKS)
def test_layers_are_shared_code_then_managed_powertools(graphs, stack):
    for fn in functions(graphs[stack]):
        shared, powertools = fn.inputs["layers"]
        assert shared.endswith("-shared:1")
        assert powertools.startswith(
            "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-")
        assert fn.inputs["architectures"] == ["arm64"] and fn.inputs["runtime"] == "python3.13"


def test_prod_sizes_api_functions_from_its_config(graphs):
    dev = graphs["dev"].named("get-user", FUNCTION).inputs
    prod = graphs["prod"].named("get-user", FUNCTION).inputs
    assert (dev["memorySize"], dev["timeout"]) == (512, 10)
    assert (prod["memorySize"], prod["timeout"]) == (1024, 10)


@pytest.mark.parametrize("stack", STACKS)
def test_no_reserved_concurrency_by_default(graphs, stack):
    assert all("reservedConcurrentExecutions" not in fn.inputs for fn in functions(graphs[stack]))


def test_provisioned_concurrency_is_per_function_and_puts_those_on_an_alias(graphs):
    prod, dev = graphs["prod"], graphs["dev"]
    warm = {"order-platform-prod-create-order": 2, "order-platform-prod-get-order": 2}
    aliases = {a.inputs["functionName"] for a in prod.of_type("aws:lambda/alias:Alias")}
    assert aliases == set(warm)
    configs = prod.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert {c.inputs["functionName"]: c.inputs["provisionedConcurrentExecutions"]
            for c in configs} == warm
    integrations = [i for i in prod.of_type("aws:apigateway/integration:Integration")
                    if i.inputs["type"] == "AWS_PROXY"]
    on_alias = {i.inputs["uri"].split(":function:")[1].split("/")[0]
                for i in integrations if ":live/invocations" in i.inputs["uri"]}
    assert on_alias == {f"{name}:live" for name in warm}
    # Off by default: dev asks for no warm instance at all.
    assert dev.of_type("aws:lambda/alias:Alias") == []


def test_api_function_names_in_settings_are_the_api_functions(graphs):
    from stack_settings import API_FUNCTIONS

    routed = {i.inputs["uri"].split(":function:order-platform-dev-")[1].split("/")[0]
              for i in graphs["dev"].of_type("aws:apigateway/integration:Integration")
              if i.inputs["type"] == "AWS_PROXY"}
    assert routed == set(API_FUNCTIONS)
