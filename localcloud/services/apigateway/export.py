"""`GetExport` with `exportType=oas30`: a deployed REST API as an OpenAPI 3.0 document.

moto 5.2.5 answers every export type with a bare Swagger 2.0 skeleton (no models, no
authorizers, no parameters), so the oas30 export is built here, like the serving path, from
the API Gateway control plane: resources and methods become `paths` (CORS `OPTIONS` included),
request models `components/schemas` (their model-URI `$ref`s rewritten to the document),
authorizers `components/securitySchemes` with API Gateway's `x-amazon-apigateway-*` keys.
"""

from __future__ import annotations

import json
import re
from typing import Any

from localcloud.core.pagination import all_items

from .definition import model_uri

OPENAPI_VERSION = "3.0.1"  # what API Gateway writes
_PARAMETER = re.compile(r"^method\.request\.(path|querystring|header)\.(.+)$")
_IN = {"path": "path", "querystring": "query", "header": "header"}
_RESPONSE_HEADER = "method.response.header."


def openapi_document(client: Any, api_id: str, stage_name: str, region: str) -> dict[str, Any]:
    """The oas30 export of stage `stage_name` of REST API `api_id` (raises the client's
    NotFoundException when either is missing, as API Gateway answers 404)."""
    api = client.get_rest_api(restApiId=api_id)
    client.get_stage(restApiId=api_id, stageName=stage_name)
    authorizers = {a["id"]: a for a in all_items(client, "get_authorizers", "items",
                                                 restApiId=api_id)}
    paths: dict[str, Any] = {}
    for resource in sorted(all_items(client, "get_resources", "items", restApiId=api_id,
                                     embed=["methods"]), key=lambda r: r["path"]):
        operations = {}
        for verb in sorted(resource.get("resourceMethods") or {}):
            method = client.get_method(restApiId=api_id, resourceId=resource["id"],
                                       httpMethod=verb)
            key = "x-amazon-apigateway-any-method" if verb == "ANY" else verb.lower()
            operations[key] = _operation(resource["path"], method, authorizers)
        if operations:
            paths[resource["path"]] = operations
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": api.get("name", ""), "version": api.get("version") or stage_name},
        "servers": [{"url": f"https://{api_id}.execute-api.{region}.amazonaws.com/{{basePath}}",
                     "variables": {"basePath": {"default": stage_name}}}],
        "paths": paths,
        "components": {
            "schemas": _schemas(api_id, all_items(client, "get_models", "items",
                                                  restApiId=api_id)),
            "securitySchemes": {a["name"]: _security_scheme(a) for a in authorizers.values()},
        },
    }
    if api.get("description"):
        document["info"]["description"] = api["description"]
    return document


def _operation(path: str, method: dict[str, Any],
               authorizers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    parameters = []
    # Every `{name}` of the path is a parameter of each method, declared or not (OPTIONS).
    declared = dict.fromkeys(f"method.request.path.{name}"
                             for name in re.findall(r"{([^}+]+)\+?}", path))
    declared.update(method.get("requestParameters") or {})
    for key, required in sorted(declared.items()):
        found = _PARAMETER.match(key)
        if found:
            where, name = found.groups()
            parameters.append({"name": name, "in": _IN[where],
                               "required": bool(required) or where == "path",
                               "schema": {"type": "string"}})
    if parameters:
        operation["parameters"] = parameters
    models = method.get("requestModels") or {}
    if models:
        operation["requestBody"] = {"content": _content(models), "required": True}
    operation["responses"] = {
        code: _response(code, response)
        for code, response in sorted((method.get("methodResponses") or {}).items())} or {
        # A Lambda proxy method declares no responses: the function's answer is passed on.
        "default": {"description": "the integration's response, passed through"}}
    authorizer = authorizers.get(method.get("authorizerId") or "")
    if authorizer and method.get("authorizationType") not in (None, "NONE"):
        operation["security"] = [{authorizer["name"]: list(method.get("authorizationScopes")
                                                           or [])}]
    return operation


def _content(models: dict[str, str]) -> dict[str, Any]:
    return {content_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}
            for content_type, name in sorted(models.items())}


def _response(code: str, response: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": f"{code} response"}
    headers = {key[len(_RESPONSE_HEADER):]: {"schema": {"type": "string"}}
               for key in sorted(response.get("responseParameters") or {})
               if key.startswith(_RESPONSE_HEADER)}
    if headers:
        answer["headers"] = headers
    if response.get("responseModels"):
        answer["content"] = _content(response["responseModels"])
    return answer


def _schemas(api_id: str, models: list[dict[str, Any]]) -> dict[str, Any]:
    prefix = model_uri(api_id, "")
    schemas = {}
    for model in sorted(models, key=lambda m: m["name"]):
        try:
            schema = json.loads(model.get("schema") or "{}")
        except ValueError:
            schema = {}
        schemas[model["name"]] = _in_document(schema, prefix)
    return schemas


def _in_document(node: Any, prefix: str) -> Any:
    """A draft-04 model as an OpenAPI schema: no `$schema`, references into the document."""
    if isinstance(node, list):
        return [_in_document(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "$schema":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(prefix):
            value = "#/components/schemas/" + value[len(prefix):]
        result[key] = _in_document(value, prefix)
    return result


def _security_scheme(authorizer: dict[str, Any]) -> dict[str, Any]:
    source = (authorizer.get("identitySource") or "method.request.header.Authorization")
    kind = (authorizer.get("type") or "").lower()
    details: dict[str, Any] = {"type": kind}
    if authorizer.get("providerARNs"):
        details["providerARNs"] = list(authorizer["providerARNs"])
    if authorizer.get("authorizerUri"):
        details["authorizerUri"] = authorizer["authorizerUri"]
    return {"type": "apiKey", "name": source.rsplit(".", 1)[-1], "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools" if kind == "cognito_user_pools"
            else "custom",
            "x-amazon-apigateway-authorizer": details}
