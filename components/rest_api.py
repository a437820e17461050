"""`RestApi`: one API Gateway REST API that several components add Lambda routes to.

It owns what every route shares: the Cognito authorizer every route requires (only the CORS
preflights are open), request validator, models generated from the handlers' pydantic models,
CORS preflight, gateway responses with CORS headers, and, once all routes are added,
`publish()`: deployment with redeploy triggers, stage with access logs and X-Ray, method
settings (logging, metrics, throttling, cache) and the account's CloudWatch role when enabled.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic.alias_generators import to_camel

from components.builders.grants import assume_role_policy
from components.python_function import PythonFunction
from stack_settings import ApiSettings

CORS_ALLOW_HEADERS = "Content-Type,Authorization,Idempotency-Key,X-Amz-Date,X-Api-Key"
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "error": "$context.error.message",
    "integrationError": "$context.integrationErrorMessage",
})
# Validation errors never reach a Lambda: these responses carry the CORS headers instead.
GATEWAY_RESPONSES = {
    "DEFAULT_4XX": '{"message": $context.error.messageString}',
    "DEFAULT_5XX": '{"message": $context.error.messageString}',
    # Gateway response templates only substitute variables (no VTL); AWS gives the validation
    # string JSON-escaped, so it can sit inside a JSON string.
    "BAD_REQUEST_BODY": '{"message": "Invalid request body: '
                        '$context.error.validationErrorString"}',
    # No token, or one the authorizer refused (401), and a refused caller (403): a browser must
    # be able to read these too, or a SPA sees an opaque CORS failure instead of "sign in".
    "UNAUTHORIZED": '{"message": $context.error.messageString}',
    "ACCESS_DENIED": '{"message": $context.error.messageString}',
}
# Where API Gateway reads the caller's token: `Authorization: <ID token>` (no "Bearer" prefix).
TOKEN_SOURCE = "method.request.header.Authorization"
ACCESS_LOG_ROLE_POLICY = ("arn:aws:iam::aws:policy/service-role/"
                          "AmazonAPIGatewayPushToCloudWatchLogs")


# Request fields that must never reach a log: a route whose model has one gets no data trace.
SECRET_FIELD = re.compile(r"token|password|secret", re.IGNORECASE)


@dataclass(frozen=True)
class ApiModel:
    name: str
    resource: aws.apigateway.Model
    secret_fields: tuple[str, ...] = ()


def _secret_fields(node) -> tuple[str, ...]:
    """The property names anywhere in a JSON Schema that look like credentials."""
    if isinstance(node, list):
        return tuple(sorted({f for item in node for f in _secret_fields(item)}))
    if not isinstance(node, dict):
        return ()
    found = {name for name in node.get("properties") or {} if SECRET_FIELD.search(name)}
    found.update(f for value in node.values() for f in _secret_fields(value))
    return tuple(sorted(found))


@dataclass
class RestApiArgs:
    name_prefix: str
    settings: ApiSettings
    log_retention_days: int
    tracing: bool
    # The user pools whose ID tokens every route requires (COGNITO_USER_POOLS authorizer).
    user_pool_arns: Sequence[pulumi.Input[str]] = ()


def _quoted(value: str) -> str:
    """Static header values in API Gateway mappings are single-quoted literals."""
    return f"'{value}'"


def _canonical(value):
    """Inputs as the engine registers them: camelCase names, no unset values, whole numbers
    as integers (the engine carries every number as a float)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def redeploy_hash(parts: Sequence[dict]) -> pulumi.Output[str]:
    """A hash of every input of every API sub-resource (`{"type", "name", "inputs"}`, inputs
    by their Python names): nothing a route, model, validator, authorizer or gateway response
    says can change without a new deployment (a summary written by hand forgets integration
    URIs, timeouts, validator flags...)."""
    def digest(resolved: list[dict]) -> str:
        snapshot = sorted(({**p, "inputs": {to_camel(k): v for k, v in
                                            _canonical(p["inputs"]).items()}}
                           for p in resolved), key=lambda p: (p["type"], p["name"]))
        return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
    return pulumi.Output.from_input(list(parts)).apply(digest)


def _source_path(path: str) -> str:
    """`/users/{userId}` -> `users/*`, the resource path in an execute-api ARN."""
    return "/".join("*" if p.startswith("{") else p for p in path.strip("/").split("/"))


class RestApi(pulumi.ComponentResource):
    def __init__(self, name: str, args: RestApiArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:RestApi", name, None, opts)
        self._name = name
        self._args = args
        # Origin returned by the gateway itself (preflight and gateway responses); handlers
        # echo the matching origin of the list.
        origins = args.settings.cors_allowed_origins
        self.cors_origin = "*" if "*" in origins else origins[0]
        # Every API sub-resource, and the inputs each was made from: the deployment depends on
        # them and hashes those inputs.
        self._children: list[pulumi.Resource] = []
        self._parts: list[dict] = []
        self._resources: dict[str, pulumi.Output[str]] = {}
        self._methods: dict[str, list[str]] = {}
        self.routes: list[tuple[str, str, PythonFunction]] = []
        # Method paths (`orders/POST`) whose request body carries a credential.
        self.secret_routes: list[str] = []

        self.api = aws.apigateway.RestApi(
            name, name=f"{args.name_prefix}-api",
            description="Order platform API: users and orders",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
                types="REGIONAL"),
            opts=pulumi.ResourceOptions(parent=self))
        self._resources[""] = self.api.root_resource_id
        self.validator = self._part(
            aws.apigateway.RequestValidator, f"{name}-validator", rest_api=self.api.id,
            name="body-and-parameters", validate_request_body=True,
            validate_request_parameters=True)
        if not args.user_pool_arns:
            raise ValueError("RestApi needs user_pool_arns: every route requires a caller")
        # ID tokens, not access tokens: without OAuth scopes on a method API Gateway accepts
        # only ID tokens, and they carry the `email` and `cognito:groups` the handlers use.
        self.authorizer = self._part(
            aws.apigateway.Authorizer, f"{name}-authorizer", rest_api=self.api.id,
            name="cognito-users", type="COGNITO_USER_POOLS",
            provider_arns=list(args.user_pool_arns), identity_source=TOKEN_SOURCE)
        for response_type, template in GATEWAY_RESPONSES.items():
            self._add_gateway_response(response_type, template)

    # -- building -------------------------------------------------------------------------

    def model(self, model_name: str, schema: dict) -> ApiModel:
        """A request model (JSON Schema draft-04) generated from a handler's pydantic model."""
        model = self._part(
            aws.apigateway.Model, f"{self._name}-model-{model_name}", rest_api=self.api.id,
            name=model_name, content_type="application/json",
            schema=json.dumps(schema, sort_keys=True))
        return ApiModel(model_name, model, _secret_fields(schema))

    def route(self, method: str, path: str, function: PythonFunction,
              model: Optional[ApiModel] = None) -> None:
        """`method path` -> Lambda proxy integration, validated against `model` if given."""
        resource_id = self._resource(path)
        slug = f"{method.lower()}-{_source_path(path).replace('/', '-').replace('*', 'id')}"
        params = {f"method.request.path.{p[1:-1]}": True
                  for p in path.split("/") if p.startswith("{")}
        api_method = self._part(
            aws.apigateway.Method, f"{self._name}-{slug}", rest_api=self.api.id,
            resource_id=resource_id, http_method=method, authorization="COGNITO_USER_POOLS",
            authorizer_id=self.authorizer.id, request_parameters=params or None,
            request_validator_id=self.validator.id,
            request_models={"application/json": model.resource.name} if model else None)
        self._part(
            aws.apigateway.Integration, f"{self._name}-{slug}-integration",
            rest_api=self.api.id, resource_id=resource_id, http_method=api_method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",  # Lambda is always invoked with POST
            uri=function.invoke_arn, timeout_milliseconds=29000)
        aws.lambda_.Permission(
            f"{self._name}-{slug}-permission", action="lambda:InvokeFunction",
            function=function.function.name,
            qualifier=function.alias.name if function.alias else None,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(
                lambda arn: f"{arn}/*/{method}/{_source_path(path)}"),
            opts=pulumi.ResourceOptions(parent=self))
        self._methods.setdefault(path, []).append(method)
        self.routes.append((method, path, function))
        if model and model.secret_fields:
            self.secret_routes.append(f"{path.strip('/').replace('/', '~1')}/{method}")

    def _resource(self, path: str) -> pulumi.Output[str]:
        """The resource id for `path`, creating missing parents and their CORS preflight."""
        path = path.strip("/")
        if path not in self._resources:
            parent, _, part = path.rpartition("/")
            slug = path.replace("/", "-").replace("{", "").replace("}", "")
            resource = self._part(
                aws.apigateway.Resource, f"{self._name}-{slug}", rest_api=self.api.id,
                parent_id=self._resource(parent), path_part=part)
            self._resources[path] = resource.id
        return self._resources[path]

    def _add_preflight(self, path: str, methods: list[str]) -> None:
        """OPTIONS answered by API Gateway itself (MOCK) with the CORS headers."""
        resource_id = self._resources[path.strip("/")]
        name = f"{self._name}-options-{_source_path(path).replace('/', '-').replace('*', 'id')}"
        headers = {
            "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
            "Access-Control-Allow-Methods": ",".join(["OPTIONS", *sorted(methods)]),
            "Access-Control-Allow-Origin": self.cors_origin,
        }
        method = self._part(aws.apigateway.Method, name, rest_api=self.api.id,
                            resource_id=resource_id, http_method="OPTIONS",
                            authorization="NONE")
        on_method = {"rest_api": self.api.id, "resource_id": resource_id,
                     "http_method": method.http_method}
        integration = self._part(
            aws.apigateway.Integration, f"{name}-integration", **on_method, type="MOCK",
            request_templates={"application/json": '{"statusCode": 200}'})
        method_response = self._part(
            aws.apigateway.MethodResponse, f"{name}-response", **on_method, status_code="200",
            response_parameters={f"method.response.header.{h}": True for h in headers})
        self._part(
            aws.apigateway.IntegrationResponse, f"{name}-integration-response", **on_method,
            status_code="200",
            response_parameters={f"method.response.header.{h}": _quoted(v)
                                 for h, v in headers.items()},
            response_templates={"application/json": ""},
            depends_on=[integration, method_response])

    def _add_gateway_response(self, response_type: str, template: str) -> None:
        headers = {
            "Access-Control-Allow-Origin": self.cors_origin,
            "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
        }
        self._part(
            aws.apigateway.Response, f"{self._name}-{response_type.lower().replace('_', '-')}",
            rest_api_id=self.api.id, response_type=response_type,
            response_parameters={f"gatewayresponse.header.{h}": _quoted(v)
                                 for h, v in headers.items()},
            response_templates={"application/json": template})

    def _part(self, kind: type, resource_name: str, /,
              depends_on: Sequence[pulumi.Resource] = (), **inputs):
        """One API sub-resource, made from `inputs`; those very inputs go into the redeploy
        hash, so no input can be left out of it."""
        resource = kind(resource_name, **inputs, opts=pulumi.ResourceOptions(
            parent=self, depends_on=list(depends_on)))
        self._children.append(resource)
        self._parts.append({"type": resource.pulumi_resource_type, "name": resource_name,
                            "inputs": inputs})
        return resource

    # -- publishing -----------------------------------------------------------------------

    def publish(self) -> aws.apigateway.Stage:
        """Deploy every route added so far to the configured stage."""
        for path, methods in self._methods.items():
            self._add_preflight(path, methods)
        s = self._args.settings
        opts = pulumi.ResourceOptions(parent=self)
        self.redeploy_hash = redeploy_hash(self._parts)
        self.deployment = aws.apigateway.Deployment(
            f"{self._name}-deployment", rest_api=self.api.id,
            description="Order platform API", triggers={"redeployment": self.redeploy_hash},
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._children))
        self.access_logs = aws.cloudwatch.LogGroup(
            f"{self._name}-access-logs",
            name=f"/aws/apigateway/{self._args.name_prefix}-api/access",
            retention_in_days=self._args.log_retention_days, opts=opts)
        stage_depends = [self._account_role()] if s.manage_account_role else []
        self.stage = aws.apigateway.Stage(
            f"{self._name}-stage", rest_api=self.api.id, deployment=self.deployment.id,
            stage_name=s.stage_name, xray_tracing_enabled=self._args.tracing,
            cache_cluster_enabled=s.cache_enabled,
            cache_cluster_size=s.cache_size if s.cache_enabled else None,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=self.access_logs.arn, format=ACCESS_LOG_FORMAT),
            opts=pulumi.ResourceOptions(parent=self, depends_on=stage_depends))
        # Created here with the stack's retention; with logging on, API Gateway would create it
        # itself, kept forever.
        self.execution_logs = aws.cloudwatch.LogGroup(
            f"{self._name}-execution-logs",
            name=pulumi.Output.concat("API-Gateway-Execution-Logs_", self.api.id, "/",
                                      s.stage_name),
            retention_in_days=self._args.log_retention_days, opts=opts)
        self.method_settings = self._method_settings("*/*", s.data_trace)
        # Data trace writes whole request bodies: never for a route whose body has a token.
        if s.data_trace:
            for method_path in self.secret_routes:
                self._method_settings(method_path, False)
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url})
        return self.stage

    def _method_settings(self, method_path: str, data_trace: bool) -> aws.apigateway.MethodSettings:
        """Logging, metrics, throttling and cache of the stage's methods at `method_path`
        (`*/*` for all; a specific path overrides all of them, so each is given)."""
        s = self._args.settings
        slug = "" if method_path == "*/*" else "-" + re.sub(r"[^a-z0-9]+", "-",
                                                              method_path.lower()).strip("-")
        return aws.apigateway.MethodSettings(
            f"{self._name}-method-settings{slug}", rest_api=self.api.id,
            stage_name=self.stage.stage_name, method_path=method_path,
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                logging_level="INFO", metrics_enabled=True, data_trace_enabled=data_trace,
                throttling_rate_limit=s.throttling_rate_limit,
                throttling_burst_limit=s.throttling_burst_limit,
                caching_enabled=s.cache_enabled),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.execution_logs]))

    def _account_role(self) -> aws.apigateway.Account:
        """The regional API Gateway setting that lets stages write execution/access logs.

        One per region and account, so `destroy` keeps it, and keeps its role too: a retained
        setting pointing at a deleted role breaks logging for every stage in the region.
        """
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        role = aws.iam.Role(f"{self._name}-cloudwatch-role",
                            assume_role_policy=assume_role_policy("apigateway.amazonaws.com"),
                            opts=kept)
        attachment = aws.iam.RolePolicyAttachment(
            f"{self._name}-cloudwatch-role-policy", role=role.name,
            policy_arn=ACCESS_LOG_ROLE_POLICY, opts=kept)
        return aws.apigateway.Account(
            f"{self._name}-account", cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(
                depends_on=[attachment])))
