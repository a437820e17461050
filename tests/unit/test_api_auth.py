"""Authentication on the mocked graph: the user pool per stack, the Cognito authorizer on every
route but the CORS preflights, the 401/403 gateway responses, and the outputs."""

import json

import pytest

from stack_settings import ConfigError, settings_from_config

STACKS = ["dev", "prod", "local"]
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
METHOD = "aws:apigateway/method:Method"
AUTHORIZER = "aws:apigateway/authorizer:Authorizer"


@pytest.mark.parametrize("stack", STACKS)
def test_every_method_but_the_preflights_requires_the_cognito_authorizer(graphs, stack):
    graph = graphs[stack]
    [authorizer] = graph.of_type(AUTHORIZER)
    methods = graph.of_type(METHOD)
    routes = [m for m in methods if m.inputs["httpMethod"] != "OPTIONS"]
    assert len(routes) == 6  # 4 users routes + 2 orders routes
    for method in routes:
        assert method.inputs["authorization"] == "COGNITO_USER_POOLS", method.name
        assert method.inputs["authorizerId"] == authorizer.outputs["id"], method.name
    preflights = [m for m in methods if m.inputs["httpMethod"] == "OPTIONS"]
    assert preflights and all(m.inputs["authorization"] == "NONE" for m in preflights)


@pytest.mark.parametrize("stack", STACKS)
def test_the_authorizer_reads_the_authorization_header_against_the_pool(graphs, stack):
    graph = graphs[stack]
    [authorizer] = graph.of_type(AUTHORIZER)
    [pool] = graph.of_type(POOL)
    api = graph.of_type("aws:apigateway/restApi:RestApi")[0]
    assert authorizer.inputs["type"] == "COGNITO_USER_POOLS"
    assert authorizer.inputs["providerArns"] == [pool.outputs["arn"]]
    assert authorizer.inputs["identitySource"] == "method.request.header.Authorization"
    assert authorizer.inputs["restApi"] == api.outputs["id"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("response_type", ["UNAUTHORIZED", "ACCESS_DENIED"])
def test_auth_gateway_responses_carry_cors_headers_and_a_json_message(graphs, stack,
                                                                       response_type):
    responses = {r.inputs["responseType"]: r.inputs
                 for r in graphs[stack].of_type("aws:apigateway/response:Response")}
    response = responses[response_type]
    headers = response["responseParameters"]
    assert headers["gatewayresponse.header.Access-Control-Allow-Origin"].startswith("'")
    assert "Authorization" in headers["gatewayresponse.header.Access-Control-Allow-Headers"]
    assert response["responseTemplates"] == {
        "application/json": '{"message": $context.error.messageString}'}


@pytest.mark.parametrize("stack", STACKS)
def test_the_deployment_waits_for_the_authorizer(graphs, stack):
    deployment = graphs[stack].of_type("aws:apigateway/deployment:Deployment")[0]
    assert (AUTHORIZER, "api-authorizer") in deployment.options["depends_on"]


@pytest.mark.parametrize(("stack", "protected", "minimum"), [
    ("dev", False, 12), ("local", False, 12), ("prod", True, 14)])
def test_pool_settings_per_stack(graphs, stack, protected, minimum):
    pool = graphs[stack].named("user-pool", POOL)
    inputs = pool.inputs
    assert inputs["usernameAttributes"] == ["email"]
    assert inputs["autoVerifiedAttributes"] == ["email"]
    assert inputs["passwordPolicy"]["minimumLength"] == minimum
    assert all(inputs["passwordPolicy"][f"require{kind}"]
               for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols"))
    assert inputs["mfaConfiguration"] == "OPTIONAL"
    assert inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert inputs["deletionProtection"] == ("ACTIVE" if protected else "INACTIVE")
    assert pool.options["protect"] is protected
    assert pool.options["retain_on_delete"] is protected


@pytest.mark.parametrize("stack", STACKS)
def test_app_client_is_public_with_srp_and_refresh_and_password_auth_only_locally(graphs, stack):
    client = graphs[stack].named("user-pool-client", CLIENT).inputs
    flows = {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    if stack == "local":
        flows.add("ALLOW_USER_PASSWORD_AUTH")
    assert set(client["explicitAuthFlows"]) == flows
    assert client["generateSecret"] is False
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert client["userPoolId"] == graphs[stack].named("user-pool", POOL).outputs["id"]
    assert client["tokenValidityUnits"] == {"idToken": "minutes", "accessToken": "minutes",
                                            "refreshToken": "days"}


@pytest.mark.parametrize("stack", STACKS)
def test_admin_group_and_outputs(graphs, stack):
    graph = graphs[stack]
    group = graph.named("user-pool-admin", "aws:cognito/userGroup:UserGroup").inputs
    assert group["name"] == "admin"
    assert graph.outputs["UserPoolId"] == graph.named("user-pool", POOL).outputs["id"]
    assert graph.outputs["UserPoolClientId"] == graph.named("user-pool-client",
                                                            CLIENT).outputs["id"]


def test_mfa_off_sets_no_totp_configuration():
    from tests.unit.mocks import evaluate, stack_config

    config = {**stack_config("dev"), "order-platform:auth": json.dumps({"mfa": "OFF"})}
    pool = evaluate("dev", config).named("user-pool", POOL).inputs
    assert pool["mfaConfiguration"] == "OFF" and "softwareTokenMfaConfiguration" not in pool


@pytest.mark.parametrize(("auth", "message"), [
    ({"mfa": "SOMETIMES"}, "order-platform:auth.mfa: Input should be 'OFF', 'OPTIONAL' or 'ON'"),
    ({"passwordMinimumLength": 6}, "order-platform:auth.passwordMinimumLength: Input should be "
                                   "greater than or equal to 8"),
    ({"idTokenValidityMinutes": 2000}, "allowed: >= 5 and <= 1440"),
    ({"selfSignup": True}, "order-platform:auth.selfSignup: Extra inputs are not permitted"),
])
def test_bad_auth_settings_name_the_key(auth, message):
    with pytest.raises(ConfigError) as error:
        settings_from_config({"order-platform:auth": json.dumps(auth)})
    assert message in str(error.value)
