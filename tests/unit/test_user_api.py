"""The REST API and the Users API on the mocked graph, incl. the API Gateway deploy pitfalls."""

import json

import jsonschema
import pytest

STACKS = ["dev", "prod", "local"]
USER_FUNCTIONS = ("create-user", "get-user", "update-user", "delete-user")


def policies_of(graph, function):
    """{policy name: [statements]} of one function's inline policies."""
    return {p.name: json.loads(p.inputs["policy"])["Statement"]
            for p in graph.of_type("aws:iam/rolePolicy:RolePolicy")
            if p.inputs["role"] == f"{function}-role-id"}


@pytest.mark.parametrize("stack", STACKS)
def test_users_table_is_on_demand_with_pitr_and_protection_from_config(graphs, stack):
    table = graphs[stack].named("users-table")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["hashKey"] == "userId"
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    protected = stack == "prod"
    assert table.inputs["deletionProtectionEnabled"] is protected
    assert table.options["protect"] is protected and table.options["retain_on_delete"] is protected


@pytest.mark.parametrize("stack", STACKS)
def test_each_user_function_gets_exactly_its_dynamodb_action_on_the_table(graphs, stack):
    graph = graphs[stack]
    table_arn = graph.named("users-table").outputs["arn"]
    # create and delete write the user and its email's uniqueness item in one transaction,
    # authorised by the actions of its entries; delete reads the user's email first.
    expected = {"create-user": ["dynamodb:PutItem"], "get-user": ["dynamodb:GetItem"],
                "update-user": ["dynamodb:UpdateItem"],
                "delete-user": ["dynamodb:DeleteItem", "dynamodb:GetItem"]}
    for function, actions in expected.items():
        statements = policies_of(graph, function)[f"{function}-access"]
        assert statements == [{"Effect": "Allow", "Action": actions, "Resource": [table_arn]}]


@pytest.mark.parametrize("stack", STACKS)
def test_routes_are_lambda_proxy_integrations_invoked_with_post(graphs, stack):
    graph = graphs[stack]
    methods = {(m.name): m.inputs for m in graph.of_type("aws:apigateway/method:Method")}
    proxies = [i.inputs for i in graph.of_type("aws:apigateway/integration:Integration")
               if i.inputs["type"] == "AWS_PROXY"]
    user_methods = {(m["httpMethod"]) for n, m in methods.items() if "users" in n}
    assert {"POST", "GET", "PUT", "DELETE", "OPTIONS"} <= user_methods
    assert proxies and all(i["integrationHttpMethod"] == "POST" for i in proxies)
    assert all(i["uri"].startswith("arn:aws:apigateway:eu-west-1:lambda:path/") for i in proxies)


@pytest.mark.parametrize("stack", STACKS)
def test_lambda_permissions_are_scoped_to_the_api_route(graphs, stack):
    graph = graphs[stack]
    api_arn = graph.of_type("aws:apigateway/restApi:RestApi")[0].outputs["executionArn"]
    perms = {p.name: p.inputs for p in graph.of_type("aws:lambda/permission:Permission")}
    assert perms["api-get-users-id-permission"]["sourceArn"] == f"{api_arn}/*/GET/users/*"
    assert perms["api-post-users-permission"]["sourceArn"] == f"{api_arn}/*/POST/users"
    assert all(p["principal"] == "apigateway.amazonaws.com"
               for n, p in perms.items() if n.startswith("api-"))


@pytest.mark.parametrize("stack", STACKS)
def test_models_are_draft04_and_validate_like_the_handlers(graphs, stack):
    models = {m.inputs["name"]: json.loads(m.inputs["schema"])
              for m in graphs[stack].of_type("aws:apigateway/model:Model")}
    create = models["UserCreate"]
    assert create["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator = jsonschema.Draft4Validator(create, format_checker=jsonschema.FormatChecker())
    assert validator.is_valid({"name": "Ada", "age": 36})
    assert not validator.is_valid({"email": "ada@example.com", "name": "Ada"})  # from the token
    assert not validator.is_valid({"name": ""})
    assert not validator.is_valid({"name": "  "})
    assert not validator.is_valid({"name": "Ada\u0000"})
    assert not validator.is_valid({"name": "Ada", "age": 151})
    assert not validator.is_valid({"name": "Ada", "age": 1.5})
    update = jsonschema.Draft4Validator(models["UserUpdate"])
    assert update.is_valid({"name": "Grace"}) and not update.is_valid({})


@pytest.mark.parametrize("stack", STACKS)
def test_post_and_put_validate_the_body_with_the_generated_models(graphs, stack):
    graph = graphs[stack]
    validator_id = graph.of_type(
        "aws:apigateway/requestValidator:RequestValidator")[0].outputs["id"]
    post = graph.named("api-post-users").inputs
    put = graph.named("api-put-users-id").inputs
    assert post["requestModels"] == {"application/json": "UserCreate"}
    assert put["requestModels"] == {"application/json": "UserUpdate"}
    assert post["requestValidatorId"] == put["requestValidatorId"] == validator_id
    assert put["requestParameters"] == {"method.request.path.userId": True}


@pytest.mark.parametrize("stack", STACKS)
def test_cors_preflight_is_a_mock_with_declared_headers(graphs, stack):
    graph = graphs[stack]
    origin = "'https://shop.example.com'" if stack == "prod" else "'*'"
    integration = graph.named("api-options-users-id-integration").inputs
    assert integration["type"] == "MOCK"
    assert integration["requestTemplates"] == {"application/json": '{"statusCode": 200}'}
    declared = graph.named("api-options-users-id-response").inputs["responseParameters"]
    response = graph.named("api-options-users-id-integration-response")
    values = response.inputs["responseParameters"]
    assert set(values) == set(declared)
    assert values["method.response.header.Access-Control-Allow-Origin"] == origin
    assert values["method.response.header.Access-Control-Allow-Methods"] == \
        "'OPTIONS,DELETE,GET,PUT'"
    assert {("aws:apigateway/integration:Integration", "api-options-users-id-integration"),
            ("aws:apigateway/methodResponse:MethodResponse", "api-options-users-id-response")
            } <= set(response.options["depends_on"])


@pytest.mark.parametrize("stack", STACKS)
def test_gateway_responses_carry_cors_headers(graphs, stack):
    responses = {r.inputs["responseType"]: r.inputs
                 for r in graphs[stack].of_type("aws:apigateway/response:Response")}
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY"} <= set(responses)
    for r in responses.values():
        assert "gatewayresponse.header.Access-Control-Allow-Origin" in r["responseParameters"]
        assert r["restApiId"]
    assert "$context.error.validationErrorString" in \
        responses["BAD_REQUEST_BODY"]["responseTemplates"]["application/json"]


@pytest.mark.parametrize("stack", STACKS)
def test_deployment_redeploys_on_change_and_depends_on_every_part(graphs, stack):
    graph = graphs[stack]
    deployment = graph.of_type("aws:apigateway/deployment:Deployment")[0]
    assert len(deployment.inputs["triggers"]["redeployment"]) == 64
    assert deployment.options["delete_before_replace"] is False
    depends = set(deployment.options["depends_on"])
    for typ in ("method:Method", "integration:Integration", "model:Model",
                "integrationResponse:IntegrationResponse", "methodResponse:MethodResponse",
                "requestValidator:RequestValidator", "response:Response"):
        parts = {(r.type, r.name) for r in graph.of_type(f"aws:apigateway/{typ}")}
        assert parts and parts <= depends, typ


def test_redeploy_hash_changes_when_a_route_changes(graphs):
    from tests.unit.mocks import evaluate, stack_config

    cfg = stack_config("dev")
    cfg["order-platform:api"] = json.dumps({"stageName": "dev", "corsAllowedOrigins":
                                            ["https://other.example.com"]})
    changed = evaluate("dev", config=cfg)
    before = graphs["dev"].of_type("aws:apigateway/deployment:Deployment")[0]
    after = changed.of_type("aws:apigateway/deployment:Deployment")[0]
    assert before.inputs["triggers"] != after.inputs["triggers"]


@pytest.mark.parametrize("stack", STACKS)
def test_stage_has_access_logs_xray_and_method_settings(graphs, stack):
    graph = graphs[stack]
    stage = graph.of_type("aws:apigateway/stage:Stage")[0]
    settings = graph.of_type("aws:apigateway/methodSettings:MethodSettings")[0].inputs
    access = graph.named("api-access-logs").outputs
    assert stage.inputs["stageName"] == stack
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access["arn"]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["requestId"] == \
        "$context.requestId"
    assert stage.inputs["xrayTracingEnabled"] is (stack != "local")
    assert settings["methodPath"] == "*/*"
    assert settings["settings"]["loggingLevel"] == "INFO"
    assert settings["settings"]["metricsEnabled"] is True
    # Data trace logs bodies: never in prod.
    assert settings["settings"]["dataTraceEnabled"] is (stack == "dev")
    limits = {"prod": (500, 1000)}.get(stack, (50, 100))
    assert (settings["settings"]["throttlingRateLimit"],
            settings["settings"]["throttlingBurstLimit"]) == limits


def test_only_prod_manages_the_regional_account_setting(graphs):
    from stack_settings import settings_from_config

    assert settings_from_config({}).api.manage_account_role is False
    managing = {stack for stack, graph in graphs.items()
                if graph.of_type("aws:apigateway/account:Account")}
    assert managing == {"prod"}


def test_account_cloudwatch_role_is_created_and_retained_with_the_setting(graphs):
    graph = graphs["prod"]
    account = graph.of_type("aws:apigateway/account:Account")[0]
    role = graph.named("api-cloudwatch-role")
    attachment = graph.named("api-cloudwatch-role-policy")
    # Destroy keeps the one-per-region setting, so it keeps what the setting points at.
    for kept in (account, role, attachment):
        assert kept.options["retain_on_delete"] is True, kept.name
    assert account.inputs["cloudwatchRoleArn"] == role.outputs["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"}
    assert attachment.inputs["policyArn"].endswith("AmazonAPIGatewayPushToCloudWatchLogs")
    stage = graph.of_type("aws:apigateway/stage:Stage")[0]
    assert ("aws:apigateway/account:Account", "api-account") in stage.options["depends_on"]


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_stacks_without_the_setting_create_no_role_for_it(graphs, stack):
    graph = graphs[stack]
    assert [r for r in graph.resources if r.name.startswith("api-cloudwatch-role")] == []
    assert graph.of_type("aws:apigateway/stage:Stage")[0].options["depends_on"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_outputs(graphs, stack):
    outputs = graphs[stack].outputs
    assert outputs["ApiUrl"].endswith(f"/{stack}")
    assert outputs["UsersTableName"] == graphs[stack].named("users-table").outputs["name"]


def test_typed_nested_args_reject_typos():
    """Typed Args classes catch the typo a plain dict would pass silently."""
    import pulumi_aws as aws

    with pytest.raises(TypeError):
        aws.apigateway.MethodSettingsSettingsArgs(loging_level="INFO")
