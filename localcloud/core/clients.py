"""Clients for a local cloud: boto3 on its endpoint with fake credentials, HTTP on a REST API as
a browser app on another origin would call it (with the caller's ID token), and signing in to
a local user pool. Used by the local cloud itself, its command line, the tests and the
benchmarks."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config
import requests

from .arns import Arn, function_ref

# Any credentials work: the local cloud does not check signatures.
FAKE_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def local_client(service: str, endpoint_url: str, region: str, *, max_attempts: int = 3,
                 read_timeout: float = 60, max_pool_connections: int = 10) -> Any:
    """A boto3 client for `service` on the local endpoint."""
    return boto3.session.Session().client(
        service, endpoint_url=endpoint_url, region_name=region, **FAKE_CREDENTIALS,
        config=botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            read_timeout=read_timeout, max_pool_connections=max_pool_connections))


class ApiSession(requests.Session):
    """HTTP on ApiUrl with relative paths, sent with an `Origin` like a browser app's and, when
    given, the caller's ID token in `Authorization` (what the API's authorizer reads)."""

    def __init__(self, base_url: str, origin: str = "https://app.example.com",
                 token: str | None = None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.headers["Origin"] = origin
        if token:
            self.headers["Authorization"] = token

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        return super().request(method, self.base_url + url, *args, **kwargs)


def open_proxy_api(apigw: Any, lambda_: Any, name: str, path: str, function_uri: str, *,
                   stage: str = "open") -> str:
    """A REST API made at run time, as a user would with the AWS CLI: `GET <path>` (e.g.
    `/things/{thingId}`) with no authorizer, a Lambda proxy to `function_uri`, deployed to
    `stage`, and the function's permission for API Gateway to invoke it from this API.
    Returns the API's id."""
    api = apigw.create_rest_api(name=name)
    parent = api["rootResourceId"]
    for part in path.strip("/").split("/"):
        parent = apigw.create_resource(restApiId=api["id"], parentId=parent,
                                       pathPart=part)["id"]
    apigw.put_method(restApiId=api["id"], resourceId=parent, httpMethod="GET",
                     authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=parent, httpMethod="GET",
                          type="AWS_PROXY", integrationHttpMethod="POST", uri=function_uri)
    apigw.create_stage(restApiId=api["id"], stageName=stage,
                       deploymentId=apigw.create_deployment(restApiId=api["id"])["id"])
    function = Arn.parse(function_uri.split("/functions/", 1)[1].removesuffix("/invocations"))
    function_name, qualifier = function_ref(str(function))
    lambda_.add_permission(
        FunctionName=function_name, StatementId=f"{name}-{api['id']}",
        Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{function.region}:{function.account}:{api['id']}/*/GET/*",
        **({"Qualifier": qualifier} if qualifier else {}))
    return api["id"]


def sign_in(cognito: Any, pool_id: str, client_id: str, email: str, password: str, *,
            groups: tuple[str, ...] = ()) -> dict[str, str]:
    """Create (or reset) a confirmed user of a local pool and sign in as a client does.

    The account is made as an administrator would (`AdminCreateUser` with a verified email,
    `AdminSetUserPassword` permanent, no invitation mail), then the app client signs in with
    `InitiateAuth` USER_PASSWORD_AUTH (on AWS the app uses SRP; see components/user_pool.py).
    Returns the `AuthenticationResult`: `IdToken`, `AccessToken`, `RefreshToken`, `ExpiresIn`.
    """
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email},
                            {"Name": "email_verified", "Value": "true"}])
    except cognito.exceptions.UsernameExistsException:
        pass
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password,
                                    Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]


def fetch_json(url: str, *, timeout: float = 10) -> Any:
    """GET a JSON document (e.g. a user pool's JWKS); raises on a non-2xx answer."""
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.json()
