"""A REST API's definition as read from moto with boto3, compiled for serving, and cached.

Everything comes from the API Gateway control plane (resources with their methods and
integrations, models, request validators, gateway responses, stages, authorizers): there is no second
description of the API anywhere. moto keeps the latest definitions rather than a per-deployment
snapshot, so a change is served without a new deployment.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from jsonschema import Draft4Validator
from referencing import Registry, Resource as SchemaResource
from referencing.jsonschema import DRAFT4

from localcloud.core.http import HTTP_METHODS
from localcloud.core.pagination import all_items

from .authorizer import Authorizer
from .router import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Method:
    http_method: str
    resource_id: str
    resource_path: str
    integration: dict[str, Any]
    request_parameters: dict[str, bool] = field(default_factory=dict)
    request_models: dict[str, str] = field(default_factory=dict)  # content type -> model name
    validate_body: bool = False
    validate_parameters: bool = False
    method_responses: dict[str, Any] = field(default_factory=dict)
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    authorization_scopes: tuple[str, ...] = ()
    api_key_required: bool = False


@dataclass
class Resource:
    id: str
    path: str
    methods: dict[str, Method] = field(default_factory=dict)

    def method(self, http_method: str) -> Method | None:
        """The method for a verb; `ANY` catches the standard verbs that have no method of their
        own (never TRACE or an unknown verb: those are a missing route, as on AWS)."""
        verb = http_method.upper()
        return self.methods.get(verb) or (
            self.methods.get("ANY") if verb in HTTP_METHODS else None)


@dataclass(frozen=True)
class Stage:
    name: str
    variables: dict[str, str]
    access_log_destination: str | None = None  # a log group ARN
    access_log_format: str | None = None


@dataclass
class ApiDefinition:
    api_id: str
    name: str
    binary_media_types: list[str]
    router: Router[Resource]
    models: dict[str, Draft4Validator]  # by model name
    gateway_responses: dict[str, dict[str, Any]]  # by response type
    stages: dict[str, Stage]
    authorizers: dict[str, Authorizer] = field(default_factory=dict)  # by id


def model_uri(api_id: str, name: str) -> str:
    """How one model refers to another (`"$ref": "https://apigateway.amazonaws.com/..."`)."""
    return f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"


def _items(client: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    return all_items(client, operation, "items", **kwargs)


def load_api(client: Any, api_id: str) -> ApiDefinition | None:
    """Read and compile one REST API; None when it does not exist."""
    try:
        api = client.get_rest_api(restApiId=api_id)
    except client.exceptions.NotFoundException:
        return None
    validators = {v["id"]: v for v in _items(client, "get_request_validators", restApiId=api_id)}
    router: Router[Resource] = Router()
    for item in _items(client, "get_resources", restApiId=api_id, embed=["methods"]):
        resource = Resource(id=item["id"], path=item["path"])
        for verb, method in (item.get("resourceMethods") or {}).items():
            if "methodIntegration" not in method:  # not embedded: ask for it
                method = client.get_method(restApiId=api_id, resourceId=item["id"],
                                           httpMethod=verb)
            resource.methods[verb] = _method(resource, verb, method, validators)
        router.add(resource.path, resource)
    return ApiDefinition(
        api_id=api_id,
        name=api.get("name", ""),
        binary_media_types=list(api.get("binaryMediaTypes") or []),
        router=router,
        models=_models(api_id, list(_items(client, "get_models", restApiId=api_id))),
        gateway_responses={r["responseType"]: r for r in
                           _items(client, "get_gateway_responses", restApiId=api_id)},
        stages={s["stageName"]: _stage(s)
                for s in client.get_stages(restApiId=api_id).get("item", [])},
        authorizers={a["id"]: Authorizer.from_api(a)
                     for a in _items(client, "get_authorizers", restApiId=api_id)},
    )


def _method(resource: Resource, verb: str, method: dict[str, Any],
            validators: dict[str, dict[str, Any]]) -> Method:
    validator = validators.get(method.get("requestValidatorId") or "", {})
    return Method(
        http_method=verb,
        resource_id=resource.id,
        resource_path=resource.path,
        integration=method.get("methodIntegration") or {},
        request_parameters={k: bool(v) for k, v in
                            (method.get("requestParameters") or {}).items()},
        request_models=dict(method.get("requestModels") or {}),
        validate_body=bool(validator.get("validateRequestBody")),
        validate_parameters=bool(validator.get("validateRequestParameters")),
        method_responses=dict(method.get("methodResponses") or {}),
        authorization_type=method.get("authorizationType") or "NONE",
        authorizer_id=method.get("authorizerId") or None,
        authorization_scopes=tuple(method.get("authorizationScopes") or ()),
        api_key_required=bool(method.get("apiKeyRequired")),
    )


def _models(api_id: str, models: list[dict[str, Any]]) -> dict[str, Draft4Validator]:
    schemas: dict[str, Any] = {}
    for model in models:
        try:
            schemas[model["name"]] = json.loads(model.get("schema") or "{}")
        except ValueError:
            log.warning("model %s of API %s is not JSON; requests are not validated against it",
                        model["name"], api_id)
    registry: Registry = Registry().with_resources(
        (model_uri(api_id, name),
         SchemaResource.from_contents(schema, default_specification=DRAFT4))
        for name, schema in schemas.items() if isinstance(schema, dict))
    return {name: Draft4Validator(schema, registry=registry,
                                  format_checker=Draft4Validator.FORMAT_CHECKER)
            for name, schema in schemas.items()}


def _stage(stage: dict[str, Any]) -> Stage:
    settings = stage.get("accessLogSettings") or {}
    return Stage(
        name=stage["stageName"],
        variables=dict(stage.get("variables") or {}),
        access_log_destination=settings.get("destinationArn"),
        access_log_format=settings.get("format"),
    )


@dataclass
class _Entry:
    api: ApiDefinition | None
    loaded_at: float
    refreshing: bool = False


class DefinitionCache:
    """Definitions by API id, re-read when older than `max_age` seconds or on demand.

    Reading an API takes several control-plane calls (tens of milliseconds), so an expired
    definition keeps being served while a background thread re-reads it; only the first read
    and the re-read after a miss (no such API, stage or route) make a request wait.
    """

    def __init__(self, client: Callable[[], Any], *, max_age: float = 2.0,
                 min_reload_interval: float = 0.25) -> None:
        self._client = client
        self._max_age = max_age
        self._min_reload_interval = min_reload_interval
        self._entries: dict[str, _Entry] = {}
        self._reloading = threading.Lock()

    def get(self, api_id: str) -> ApiDefinition | None:
        entry = self._entries.get(api_id)
        if entry is None:
            return self._reload(api_id, None, wait=True)
        if time.monotonic() - entry.loaded_at >= self._max_age and not entry.refreshing:
            entry.refreshing = True
            threading.Thread(target=self._reload, args=(api_id, entry), kwargs={"wait": False},
                             daemon=True, name=f"apigw-refresh-{api_id}").start()
        return entry.api

    def refresh_after_miss(self, api_id: str) -> ApiDefinition | None:
        """Re-read after a request found no API, stage or route, unless that was just done."""
        entry = self._entries.get(api_id)
        if entry is not None and time.monotonic() - entry.loaded_at < self._min_reload_interval:
            return entry.api
        return self._reload(api_id, entry, wait=True)

    def invalidate(self, api_id: str | None = None) -> None:
        if api_id is None:
            self._entries.clear()
        else:
            self._entries.pop(api_id, None)

    def _reload(self, api_id: str, stale: _Entry | None, *, wait: bool) -> ApiDefinition | None:
        if not self._reloading.acquire(blocking=wait):
            if stale is not None:
                stale.refreshing = False  # let a later request try again
            return stale.api if stale else None
        try:
            current = self._entries.get(api_id)
            if current is not None and current is not stale:
                return current.api  # another thread just read it
            try:
                api = load_api(self._client(), api_id)
            except Exception:
                if stale is None:
                    raise
                log.exception("re-reading REST API %s failed; serving the previous definition",
                              api_id)
                stale.refreshing = False
                return stale.api
            self._entries[api_id] = _Entry(api, time.monotonic())
            return api
        finally:
            self._reloading.release()
