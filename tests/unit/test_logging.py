"""Every logging setting of every stack: retention everywhere, and no token in any log.

A payment token reaches three logs if let: API Gateway's execution log with data trace (whole
request bodies), the workflow's execution log with execution data (the state carries it), and
a function logging its event. Each is checked here on the mocked graph of every stack.
"""

import json
import re

import pytest

from tests.unit.mocks import evaluate, stack_config
from tests.unit.order_graph import FUNCTION, LOG_GROUP, STATE_MACHINE, STACKS, settings

METHOD = "aws:apigateway/method:Method"
MODEL = "aws:apigateway/model:Model"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
SECRET = re.compile(r"token|password|secret", re.IGNORECASE)


def _credential_fields(schema_text: str) -> list[str]:
    """Names of schema properties (keys whose value is a sub-schema) that look like secrets."""
    return [name for name in re.findall(r'"([^"]+)"\s*:\s*\{', schema_text)
            if SECRET.search(name)]


def _secret_method_paths(graph) -> set[str]:
    """`orders/POST` for every method whose request model has a credential-like field."""
    resources = {r.outputs["id"]: r.inputs["pathPart"]
                 for r in graph.of_type("aws:apigateway/resource:Resource")}
    secret_models = {m.inputs["name"] for m in graph.of_type(MODEL)
                     if _credential_fields(m.inputs["schema"])}
    paths = set()
    for method in graph.of_type(METHOD):
        models = (method.inputs.get("requestModels") or {}).values()
        if set(models) & secret_models:
            paths.add(f"{resources[method.inputs['resourceId']]}/{method.inputs['httpMethod']}")
    return paths


def _data_trace(graph, method_path: str) -> bool:
    """The data trace a method gets: its own override if any, else the stage's `*/*`."""
    by_path = {s.inputs["methodPath"]: s.inputs["settings"] for s in graph.of_type(METHOD_SETTINGS)}
    return by_path.get(method_path, by_path["*/*"]).get("dataTraceEnabled", False)


@pytest.mark.parametrize("stack", STACKS)
def test_no_route_that_carries_a_token_has_data_trace(graphs, stack):
    paths = _secret_method_paths(graphs[stack])
    assert "orders/POST" in paths  # the payment token
    assert not any(_data_trace(graphs[stack], p) for p in paths)


def test_dev_keeps_data_trace_on_the_other_routes(graphs):
    by_path = {s.inputs["methodPath"]: s for s in graphs["dev"].of_type(METHOD_SETTINGS)}
    assert by_path["*/*"].inputs["settings"]["dataTraceEnabled"] is True
    override = by_path["orders/POST"].inputs["settings"]
    # An override replaces every setting of the method: the others are the stage's.
    assert {k: v for k, v in override.items() if k != "dataTraceEnabled"} == \
        {k: v for k, v in by_path["*/*"].inputs["settings"].items() if k != "dataTraceEnabled"}
    assert override["dataTraceEnabled"] is False


def test_a_token_field_in_any_model_turns_data_trace_off_for_its_route():
    """Data trace on in a stack whose every model would be caught (here: prod's routes)."""
    config = stack_config("prod")
    config["order-platform:api"] = json.dumps({**json.loads(config["order-platform:api"]),
                                               "dataTrace": True})
    graph = evaluate("prod", config)
    assert not any(_data_trace(graph, p) for p in _secret_method_paths(graph))


@pytest.mark.parametrize("stack", STACKS)
def test_the_api_execution_log_group_is_the_programs_with_the_stack_retention(graphs, stack):
    graph = graphs[stack]
    api_id = graph.of_type("aws:apigateway/restApi:RestApi")[0].outputs["id"]
    group = graph.named("api-execution-logs", LOG_GROUP).inputs
    assert group["name"] == f"API-Gateway-Execution-Logs_{api_id}/{stack}"
    assert group["retentionInDays"] == settings(stack).log_retention_days
    for method_settings in graph.of_type(METHOD_SETTINGS):
        assert (LOG_GROUP, "api-execution-logs") in method_settings.options["depends_on"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_workflow_never_logs_execution_data(graphs, stack):
    for machine in graphs[stack].of_type(STATE_MACHINE):
        assert machine.inputs["loggingConfiguration"]["includeExecutionData"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_no_function_logs_its_event(graphs, stack):
    for fn in graphs[stack].of_type(FUNCTION):
        variables = fn.inputs["environment"]["variables"]
        assert variables.get("POWERTOOLS_LOGGER_LOG_EVENT", "false").lower() != "true", fn.name
        assert fn.inputs["loggingConfig"]["applicationLogLevel"] == settings(stack).log_level


@pytest.mark.parametrize("stack", STACKS)
def test_every_log_group_has_the_stack_retention(graphs, stack):
    groups = graphs[stack].of_type(LOG_GROUP)
    assert groups
    assert {g.name: g.inputs.get("retentionInDays") for g in groups} == \
        {g.name: settings(stack).log_retention_days for g in groups}
