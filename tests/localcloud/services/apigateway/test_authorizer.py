"""COGNITO_USER_POOLS authorizers on the REST API server, against tokens moto's Cognito really
signs (and forged ones): 401 for every bad token, the claims shaped as AWS passes them."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from localcloud.core.clients import sign_in
from localcloud.services.apigateway.request import HttpRequest
from localcloud.services.apigateway.server import RestApiServer
from tests.localcloud.services.apigateway.api_support import (REGION, FakeCloud, _uri,
                                                              moto_server)

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:me"
PASSWORD = "Sup3r-secret!"
CORS = {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def setup(moto_endpoint: str) -> dict[str, Any]:
    """Two pools (each with a client), an API whose GET /me needs the first pool's ID token,
    GET /scoped an access token with a scope, and GET /legacy a TOKEN (Lambda) authorizer."""
    cognito, apigw = _client(moto_endpoint, "cognito-idp"), _client(moto_endpoint, "apigateway")
    pools = {}
    for name in ("users", "elsewhere"):
        pool = cognito.create_user_pool(PoolName=name, UsernameAttributes=["email"])["UserPool"]
        client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app")
        pools[name] = {"id": pool["Id"], "arn": pool["Arn"],
                       "client": client["UserPoolClient"]["ClientId"]}
    cognito.create_group(UserPoolId=pools["users"]["id"], GroupName="admin")

    api = apigw.create_rest_api(name="auth-api")
    api_id, root = api["id"], api["rootResourceId"]
    cognito_auth = apigw.create_authorizer(
        restApiId=api_id, name="cognito", type="COGNITO_USER_POOLS",
        providerARNs=[pools["users"]["arn"]],
        identitySource="method.request.header.Authorization")["id"]
    token_auth = apigw.create_authorizer(
        restApiId=api_id, name="legacy", type="TOKEN", authorizerUri=_uri(FUNCTION_ARN),
        identitySource="method.request.header.Authorization")["id"]
    for path, kind, authorizer, scopes in (("me", "COGNITO_USER_POOLS", cognito_auth, None),
                                           ("scoped", "COGNITO_USER_POOLS", cognito_auth,
                                            ["orders/read"]),
                                           ("legacy", "CUSTOM", token_auth, None)):
        resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=path)["id"]
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                         authorizationType=kind, authorizerId=authorizer,
                         **({"authorizationScopes": scopes} if scopes else {}))
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET",
                              type="AWS_PROXY", integrationHttpMethod="POST",
                              uri=_uri(FUNCTION_ARN))
    apigw.put_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED",
                               responseParameters=CORS, responseTemplates={
                                   "application/json": '{"message": $context.error.messageString}'})
    apigw.create_stage(restApiId=api_id, stageName="v1",
                       deploymentId=apigw.create_deployment(restApiId=api_id)["id"])
    users = pools["users"]
    ada = sign_in(cognito, users["id"], users["client"], "ada@example.com", PASSWORD,
                  groups=("admin",))
    other = pools["elsewhere"]
    stranger = sign_in(cognito, other["id"], other["client"], "eve@example.com", PASSWORD)
    return {"api_id": api_id, "pools": pools, "ada": ada, "stranger": stranger}


@pytest.fixture
def cloud(moto_endpoint: str) -> FakeCloud:
    return FakeCloud(endpoint_url=moto_endpoint)


@pytest.fixture
def call(cloud: FakeCloud, setup) -> Iterator[Callable[..., Any]]:
    server = RestApiServer(cloud)

    def call(token: str | None, path: str = "/me", header: str = "Authorization"):
        headers = [("Host", "localhost")] + ([(header, token)] if token is not None else [])
        return server.handle(HttpRequest(method="GET", path=path, api_id=setup["api_id"],
                                         stage="v1", headers=headers, query="", body=b"",
                                         source_ip="127.0.0.1"))
    yield call
    server.close()


def moto_key() -> RSAKey:
    """The key moto's Cognito signs with (what its JWKS publishes)."""
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def forged(claims_from: str, key: RSAKey | None = None, **changes: Any) -> str:
    """A token with the claims of a real one, changed, re-signed (by moto's key by default)."""
    claims = json.loads(base64.urlsafe_b64decode(claims_from.split(".")[1] + "=="))
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, {**claims, **changes}, key or moto_key())


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_unauthorized(response) -> None:
    assert response.status == 401
    assert json.loads(response.body) == {"message": "Unauthorized"}
    assert ("Access-Control-Allow-Origin", "*") in response.headers


def test_a_valid_id_token_reaches_the_function_with_aws_shaped_claims(call, cloud, setup):
    response = call(setup["ada"]["IdToken"])

    assert response.status == 200
    claims = cloud.last_event["requestContext"]["authorizer"]["claims"]
    pool = setup["pools"]["users"]
    assert claims["iss"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool['id']}"
    assert claims["aud"] == pool["client"] and claims["token_use"] == "id"
    assert claims["email"] == "ada@example.com" and claims["cognito:groups"] == "admin"
    assert all(isinstance(value, str) for value in claims.values())
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}",
                        claims["exp"])
    assert claims["auth_time"].isdigit()


def test_a_bearer_prefix_is_tolerated(call, setup):
    assert call("Bearer " + setup["ada"]["IdToken"]).status == 200


@pytest.mark.parametrize("case", [
    "missing-header", "empty-header", "malformed", "not-base64", "alg-none", "wrong-signature",
    "expired", "wrong-client", "other-pool", "forged-issuer", "access-token-without-scopes",
    "no-expiry",
])
def test_bad_tokens_are_401_never_5xx_never_let_through(call, cloud, setup, case):
    ada = setup["ada"]["IdToken"]
    header, _, _ = ada.split(".")
    token = {
        "missing-header": None,
        "empty-header": "",
        "malformed": "Basic dXNlcjpwYXNz",
        "not-base64": "a.%%%.c",
        "alg-none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{ada.split('.')[1]}.",
        "wrong-signature": forged(ada, RSAKey.generate_key(2048, parameters={"kid": "dummy"})),
        "expired": forged(ada, exp=int(time.time()) - 60),
        "wrong-client": forged(ada, aud="some-other-client"),
        "other-pool": setup["stranger"]["IdToken"],
        # right signature, another pool's issuer: still not a pool of this authorizer
        "forged-issuer": forged(ada, iss=f"https://cognito-idp.{REGION}.amazonaws.com/x_y"),
        "access-token-without-scopes": setup["ada"]["AccessToken"],
        "no-expiry": forged(ada, exp=None),
    }[case]
    before = len(cloud.calls)

    assert_unauthorized(call(token))
    assert len(cloud.calls) == before  # the function never ran


def test_a_token_in_another_header_is_not_read(call, setup):
    assert_unauthorized(call(setup["ada"]["IdToken"], header="X-Token"))


def test_scoped_methods_take_access_tokens_with_a_matching_scope(call, setup):
    access = setup["ada"]["AccessToken"]
    assert call(forged(access, scope="orders/read openid"), path="/scoped").status == 200
    denied = call(forged(access, scope="openid"), path="/scoped")
    assert denied.status == 403
    assert_unauthorized(call(setup["ada"]["IdToken"], path="/scoped"))


def test_a_verified_token_is_cached_until_it_expires(cloud, setup, moto_endpoint):
    server = RestApiServer(cloud)
    try:
        def get(token):
            return server.handle(HttpRequest(
                method="GET", path="/me", api_id=setup["api_id"], stage="v1",
                headers=[("Authorization", token)], query="", body=b"", source_ip="127.0.0.1"))

        expires = int(time.time()) + 6
        token = forged(setup["ada"]["IdToken"], exp=expires)
        assert get(token).status == 200
        assert get(token).status == 200  # from the cache
        time.sleep(max(0.0, expires - time.time()) + 0.2)
        assert get(token).status == 401  # the cache never outlives the token
    finally:
        server.close()


def test_other_authorizer_types_are_served_open_with_a_loud_warning(call, caplog):
    with caplog.at_level(logging.WARNING):
        response = call(None, path="/legacy")
    assert response.status == 200
    assert any("NOT ENFORCED" in r.getMessage() and "/legacy" in r.getMessage()
               for r in caplog.records)
