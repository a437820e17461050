"""OrderApi: POST /orders and GET /orders/{orderId} on the shared REST API."""

import json

import pytest

from lambdas.shared.models import OrderCreate, api_schema
from tests.unit.order_graph import STACKS, function, settings

METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
MODEL = "aws:apigateway/model:Model"
RESOURCE = "aws:apigateway/resource:Resource"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
PROVISIONED = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
ROUTES = {"api-post-orders": ("POST", "create-order", "api-orders"),
          "api-get-orders-id": ("GET", "get-order", "api-orders-orderId")}

pytestmark = pytest.mark.parametrize("stack", STACKS)


def test_post_orders_validates_the_model_generated_from_the_handler_model(graphs, stack):
    graph = graphs[stack]
    model = graph.named("api-model-OrderCreate", MODEL).inputs
    assert model["contentType"] == "application/json"
    assert json.loads(model["schema"]) == api_schema(OrderCreate)
    method = graph.named("api-post-orders", METHOD).inputs
    assert method["requestModels"] == {"application/json": "OrderCreate"}
    assert method["requestValidatorId"]


def test_order_paths_are_orders_and_its_order_id_child(graphs, stack):
    graph = graphs[stack]
    orders = graph.named("api-orders", RESOURCE)
    assert orders.inputs["pathPart"] == "orders"
    child = graph.named("api-orders-orderId", RESOURCE).inputs
    assert (child["pathPart"], child["parentId"]) == ("{orderId}", orders.outputs["id"])
    assert graph.named("api-get-orders-id", METHOD).inputs["requestParameters"] == {
        "method.request.path.orderId": True}


@pytest.mark.parametrize("route", ROUTES)
def test_routes_proxy_to_their_function(graphs, stack, route):
    graph = graphs[stack]
    method, function_name, resource = ROUTES[route]
    assert graph.named(route, METHOD).inputs["httpMethod"] == method
    integration = graph.named(f"{route}-integration", INTEGRATION).inputs
    assert integration["resourceId"] == graph.named(resource, RESOURCE).outputs["id"]
    assert (integration["type"], integration["integrationHttpMethod"]) == ("AWS_PROXY", "POST")
    fn = function(graph, function_name)
    provisioned = settings(stack).api.provisioned_concurrency.get(function_name)
    # With provisioned concurrency, the warm alias is what the API invokes.
    suffix = ":live/invocations" if provisioned else "/invocations"
    assert integration["uri"].endswith(fn.outputs["arn"] + suffix)


@pytest.mark.parametrize("name", ["create-order", "get-order"])
def test_order_functions_are_api_functions(graphs, stack, name):
    s = settings(stack)
    fn = function(graphs[stack], name).inputs
    assert (fn["memorySize"], fn["timeout"]) == (s.functions.api.memory, s.functions.api.timeout)
    assert fn["environment"]["variables"]["ALLOWED_ORIGINS"] == \
        ",".join(s.api.cors_allowed_origins)
    configs = [c.inputs for c in graphs[stack].of_type(PROVISIONED)
               if c.inputs["functionName"] == fn["name"]]
    expected = s.api.provisioned_concurrency.get(name)
    assert [c["provisionedConcurrentExecutions"] for c in configs] == \
        ([expected] if expected else [])


def test_the_deployment_includes_the_order_routes(graphs, stack):
    depends = graphs[stack].named("api-deployment", DEPLOYMENT).options["depends_on"]
    for route in ROUTES:
        assert (METHOD, route) in depends and (INTEGRATION, f"{route}-integration") in depends
    assert (MODEL, "api-model-OrderCreate") in depends


# create-order refuses the amount at the API, validate-order again in the workflow.
@pytest.mark.parametrize("name", ["create-order", "validate-order"])
def test_order_judges_get_the_configured_maximum_amount(graphs, stack, name):
    variables = function(graphs[stack], name).inputs["environment"]["variables"]
    assert variables["MAX_ORDER_AMOUNT"] == str(settings(stack).api.max_order_amount)
