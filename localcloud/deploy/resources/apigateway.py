"""API Gateway REST APIs: definitions are stored in moto; the local REST API server serves them.

A REST API's id is derived from the stack and its logical name (10 lowercase alphanumerics, like
AWS's), so it is the same on every `up` of the same stack.
"""

from __future__ import annotations

import json

from .base import Context, as_int, drop_none, physical_name


CUSTOM_ID_TAG = "_custom_id_"  # moto.utilities.id_generator.TAG_KEY_CUSTOM_ID
# Authorizer types the local REST API server enforces (services/apigateway/authorizer.py).
ENFORCED_AUTHORIZERS = ("COGNITO_USER_POOLS",)


def _api_arn(ctx: Context, api_id: str) -> str:
    return f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}"


def _str_map(value: dict | None) -> dict | None:
    return {k: str(v) for k, v in value.items()} if value else None


def _method_key(inputs: dict) -> dict:
    """What names one method of one resource in every method-level API Gateway call."""
    return {"restApiId": inputs["restApi"], "resourceId": inputs["resourceId"],
            "httpMethod": inputs["httpMethod"]}


def _method_id(prefix: str, inputs: dict, *suffix: str) -> str:
    return "-".join([prefix, inputs["restApi"], inputs["resourceId"], inputs["httpMethod"],
                     *suffix])


def rest_api(ctx: Context, name: str, inputs: dict):
    apigw = ctx.aws("apigateway")
    api_name = physical_name(inputs, name, max_len=255, allowed=r"[^\w .-]")
    if inputs.get("body"):
        created = apigw.import_rest_api(body=inputs["body"].encode())
        ctx.note(f"REST API {api_name}: imported from its OpenAPI body")
    else:
        endpoint = inputs.get("endpointConfiguration") or {}
        created = apigw.create_rest_api(**drop_none({
            "name": api_name, "description": inputs.get("description"),
            "binaryMediaTypes": inputs.get("binaryMediaTypes"),
            "apiKeySource": inputs.get("apiKeySource"),
            "minimumCompressionSize": as_int(inputs.get("minimumCompressionSize")),
            # pulumi-aws 7 takes one type as a string, older versions a list
            "endpointConfiguration": {"types": [endpoint["types"]] if isinstance(
                endpoint["types"], str) else endpoint["types"]} if endpoint.get("types") else None,
            "policy": inputs.get("policy"),
            # moto takes an API's id from this tag: derived from the stack and logical name,
            # it is the same after every restart, so saved ApiUrls keep working (moto's server
            # has no UntagResource for API Gateway: the tag stays visible in get-rest-api)
            "tags": {**(_str_map(inputs.get("tags")) or {}), CUSTOM_ID_TAG: ctx.stable_id(name)},
        }))
    api_id = created["id"]
    root_id = next(item["id"] for item in apigw.get_resources(restApiId=api_id)["items"]
                   if item["path"] == "/")
    with ctx.lock:
        ctx.registry.rest_api_ids.append(api_id)
    return api_id, {
        "name": api_name, "rootResourceId": root_id,
        "executionArn": ctx.arn("execute-api", api_id),
        "arn": _api_arn(ctx, api_id),
        "createdDate": created["createdDate"].isoformat(),
    }


def resource(ctx: Context, name: str, inputs: dict):
    created = ctx.aws("apigateway").create_resource(
        restApiId=inputs["restApi"], parentId=inputs["parentId"], pathPart=inputs["pathPart"])
    return created["id"], {"path": created["path"]}


def _same_named(inputs: dict, *names: str) -> dict:
    """Inputs whose provider name is also the API's argument name."""
    return {name: inputs.get(name) for name in names}


def method(ctx: Context, name: str, inputs: dict):
    kind = inputs.get("authorization", "NONE")
    if kind not in ("NONE", *ENFORCED_AUTHORIZERS):
        ctx.note(f"REST API methods with {kind} authorization are NOT enforced: they are served "
                 "to every caller")
    ctx.aws("apigateway").put_method(**drop_none({
        **_method_key(inputs), "authorizationType": inputs.get("authorization", "NONE"),
        **_same_named(inputs, "authorizerId", "apiKeyRequired", "operationName",
                      "requestParameters", "requestModels", "requestValidatorId",
                      "authorizationScopes"),
    }))
    return _method_id("agm", inputs), {}


def integration(ctx: Context, name: str, inputs: dict):
    ctx.aws("apigateway").put_integration(**drop_none({
        **_method_key(inputs), "type": inputs["type"],
        "timeoutInMillis": as_int(inputs.get("timeoutMilliseconds")),
        **_same_named(inputs, "integrationHttpMethod", "uri", "credentials", "requestParameters",
                      "requestTemplates", "passthroughBehavior", "contentHandling",
                      "cacheNamespace", "cacheKeyParameters", "connectionType"),
    }))
    return _method_id("agi", inputs), {}


def method_response(ctx: Context, name: str, inputs: dict):
    ctx.aws("apigateway").put_method_response(**drop_none({
        **_method_key(inputs), "statusCode": inputs["statusCode"],
        **_same_named(inputs, "responseParameters", "responseModels"),
    }))
    return _method_id("agmr", inputs, inputs["statusCode"]), {}


def integration_response(ctx: Context, name: str, inputs: dict):
    ctx.aws("apigateway").put_integration_response(**drop_none({
        **_method_key(inputs), "statusCode": inputs["statusCode"],
        **_same_named(inputs, "selectionPattern", "responseParameters", "responseTemplates",
                      "contentHandling"),
    }))
    return _method_id("agir", inputs, inputs["statusCode"]), {}


def model(ctx: Context, name: str, inputs: dict):
    schema = inputs.get("schema")
    created = ctx.aws("apigateway").create_model(**drop_none({
        "restApiId": inputs["restApi"], "name": physical_name(inputs, name, allowed=r"[^A-Za-z0-9]"),
        "contentType": inputs.get("contentType", "application/json"),
        "description": inputs.get("description"),
        "schema": schema if isinstance(schema, str) or schema is None else json.dumps(schema),
    }))
    return created["id"], {"name": created["name"]}


def request_validator(ctx: Context, name: str, inputs: dict):
    created = ctx.aws("apigateway").create_request_validator(
        restApiId=inputs["restApi"], name=physical_name(inputs, name, allowed=r"[^\w .-]"),
        validateRequestBody=bool(inputs.get("validateRequestBody")),
        validateRequestParameters=bool(inputs.get("validateRequestParameters")))
    return created["id"], {"name": created["name"]}


def gateway_response(ctx: Context, name: str, inputs: dict):
    api_id = inputs["restApiId"]  # the only API Gateway resource that names it so
    ctx.aws("apigateway").put_gateway_response(**drop_none({
        "restApiId": api_id, "responseType": inputs["responseType"],
        "statusCode": inputs.get("statusCode"),
        "responseParameters": inputs.get("responseParameters"),
        "responseTemplates": inputs.get("responseTemplates"),
    }))
    return f"aggr-{api_id}-{inputs['responseType']}", {}


def authorizer(ctx: Context, name: str, inputs: dict):
    kind = inputs.get("type") or "TOKEN"
    created = ctx.aws("apigateway").create_authorizer(**drop_none({
        "restApiId": inputs["restApi"],
        "name": physical_name(inputs, name, max_len=128, allowed=r"[^\w .-]"),
        "type": kind, "providerARNs": inputs.get("providerArns"),
        "authType": inputs.get("authorizerType"), "authorizerUri": inputs.get("authorizerUri"),
        "authorizerCredentials": inputs.get("authorizerCredentials"),
        "identitySource": inputs.get("identitySource"),
        "identityValidationExpression": inputs.get("identityValidationExpression"),
        "authorizerResultTtlInSeconds": as_int(inputs.get("authorizerResultTtlInSeconds")),
    }))
    if kind not in ENFORCED_AUTHORIZERS:
        ctx.note(f"REST API authorizer {created['name']} ({kind}) is NOT enforced: its routes "
                 "are served to every caller")
    return created["id"], {"arn": f"{_api_arn(ctx, inputs['restApi'])}/authorizers/"
                                  f"{created['id']}"}


def deployment(ctx: Context, name: str, inputs: dict):
    created = ctx.aws("apigateway").create_deployment(**drop_none({
        "restApiId": inputs["restApi"], "description": inputs.get("description"),
        "variables": _str_map(inputs.get("variables")),
    }))
    return created["id"], {"createdDate": created["createdDate"].isoformat()}


def stage(ctx: Context, name: str, inputs: dict):
    apigw = ctx.aws("apigateway")
    api_id, stage_name = inputs["restApi"], inputs["stageName"]
    apigw.create_stage(**drop_none({
        "restApiId": api_id, "stageName": stage_name, "deploymentId": inputs["deployment"],
        "description": inputs.get("description"), "variables": _str_map(inputs.get("variables")),
        "tracingEnabled": inputs.get("xrayTracingEnabled"),
        "cacheClusterEnabled": inputs.get("cacheClusterEnabled"),
    }))
    access_log = inputs.get("accessLogSettings") or {}
    operations = [{"op": "replace", "path": f"/accessLogSettings/{key}", "value": access_log[key]}
                  for key in ("destinationArn", "format") if access_log.get(key)]
    if operations:
        apigw.update_stage(restApiId=api_id, stageName=stage_name, patchOperations=operations)
    return f"ags-{api_id}-{stage_name}", {
        "invokeUrl": f"{ctx.endpoint_url}/restapis/{api_id}/{stage_name}/_user_request_",
        "executionArn": ctx.arn("execute-api", f"{api_id}/{stage_name}"),
        "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}/stages/{stage_name}",
    }


_METHOD_SETTINGS = {
    "metricsEnabled": "metrics/enabled", "loggingLevel": "logging/loglevel",
    "dataTraceEnabled": "logging/dataTrace", "throttlingBurstLimit": "throttling/burstLimit",
    "throttlingRateLimit": "throttling/rateLimit", "cachingEnabled": "caching/enabled",
    "cacheTtlInSeconds": "caching/ttlInSeconds", "cacheDataEncrypted": "caching/dataEncrypted",
    "requireAuthorizationForCacheControl": "caching/requireAuthorizationForCacheControl",
}


def method_settings(ctx: Context, name: str, inputs: dict):
    settings = inputs.get("settings") or {}
    operations = []
    for key, path in _METHOD_SETTINGS.items():
        value = settings.get(key)
        if value is None or value == -1:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            value = str(int(value))
        operations.append({"op": "replace", "path": f"/{inputs['methodPath']}/{path}",
                           "value": str(value)})
    if operations:
        ctx.aws("apigateway").update_stage(restApiId=inputs["restApi"],
                                           stageName=inputs["stageName"],
                                           patchOperations=operations)
    return f"{inputs['restApi']}-{inputs['stageName']}-{inputs['methodPath']}", {}


def account(ctx: Context, name: str, inputs: dict):
    if inputs.get("cloudwatchRoleArn"):
        ctx.aws("apigateway").update_account(patchOperations=[{
            "op": "replace", "path": "/cloudwatchRoleArn", "value": inputs["cloudwatchRoleArn"]}])
    return "api-gateway-account", {}


HANDLERS = {
    "aws:apigateway/restApi:RestApi": rest_api,
    "aws:apigateway/resource:Resource": resource,
    "aws:apigateway/method:Method": method,
    "aws:apigateway/integration:Integration": integration,
    "aws:apigateway/methodResponse:MethodResponse": method_response,
    "aws:apigateway/integrationResponse:IntegrationResponse": integration_response,
    "aws:apigateway/model:Model": model,
    "aws:apigateway/requestValidator:RequestValidator": request_validator,
    "aws:apigateway/response:Response": gateway_response,
    "aws:apigateway/authorizer:Authorizer": authorizer,
    "aws:apigateway/deployment:Deployment": deployment,
    "aws:apigateway/stage:Stage": stage,
    "aws:apigateway/methodSettings:MethodSettings": method_settings,
    "aws:apigateway/account:Account": account,
}
