"""The Lambda control plane, followed live: writes moto accepted through the gateway reach the
registry, the workers and the SQS pollers, as they reach Lambda's data plane on AWS.

moto stays the store of truth: after a write answered with a success, the function (or the
mapping) is read back from moto and the registry's copy replaced; a write that changes what an
execution environment is started from retires the function's workers (idle ones now, busy ones
when their invocation returns), so the next invocation is a cold start on the new values.

- CreateFunction / UpdateFunctionCode (a zip file, inline or in S3): the archive is extracted
  to a new folder of its own (running workers keep the old one);
- UpdateFunctionConfiguration: handler, role, runtime, environment, timeout, memory (layers,
  logging configuration and VPC settings stay as deployed);
- PutFunctionConcurrency / DeleteFunctionConcurrency: the reserved concurrency of the next
  invocation (0 throttles every one); workers are kept, as on AWS;
- DeleteFunction: the function leaves the registry (invocations answer 404, EventBridge targets
  fail to their DLQ), its workers are retired and its mappings no longer polled;
- Create/Update/DeleteEventSourceMapping: the SQS pollers follow (`SqsPollers.sync`).
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import logging
import os
import re
import tempfile
import zipfile
from typing import Callable
from urllib.parse import parse_qs, unquote

from localcloud.core.arns import function_ref
from localcloud.core.http import AfterForward, GatewayRequest, HttpResponse, RouteTable
from localcloud.core.ports import Cloud
from localcloud.core.registry import EventSourceMapping, FunctionSpec

log = logging.getLogger("localcloud.lambda.control_plane")

_FUNCTION = r"(?P<function>[^/]+)"
# (method, path) of each write followed -> the name of the method that follows it
_WRITES = [
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "_created"),
    ("DELETE", re.compile(rf"^/2015-03-31/functions/{_FUNCTION}/?$"), "_deleted"),
    ("PUT", re.compile(rf"^/2015-03-31/functions/{_FUNCTION}/configuration/?$"), "_configured"),
    ("PUT", re.compile(rf"^/2015-03-31/functions/{_FUNCTION}/code/?$"), "_new_code"),
    ("PUT", re.compile(rf"^/2017-10-31/functions/{_FUNCTION}/concurrency/?$"), "_configured"),
    ("DELETE", re.compile(rf"^/2017-10-31/functions/{_FUNCTION}/concurrency/?$"),
     "_configured"),
    ("POST", re.compile(r"^/2015-03-31/event-source-mappings/?$"), "_mapping_created"),
    ("PUT", re.compile(r"^/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)/?$"),
     "_mapping_changed"),
    ("DELETE", re.compile(r"^/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)/?$"),
     "_mapping_changed"),
]
# What an execution environment is started from: a change retires the function's workers.
_ENVIRONMENT_FIELDS = ("handler", "runtime", "role_arn", "environment", "timeout_seconds",
                       "memory_mb", "code_dir")


class LambdaControlPlane:
    # The start-up summary's line: what is followed, and what still needs a restart.
    NOTE = ("Lambda control plane followed live (writes through the endpoint): create-/"
            "delete-function, update-function-configuration (handler, role, runtime, "
            "environment, timeout, memory), update-function-code (zip), put-/delete-function-"
            "concurrency, create-/update-/delete-event-source-mapping; not followed (restart "
            "`up`): layers, logging config, aliases and versions, provisioned concurrency")

    def __init__(self, cloud: Cloud, *, code_root: str,
                 renew: Callable[[FunctionSpec], int], retire: Callable[[str], int],
                 mappings_changed: Callable[[], None]):
        self.cloud = cloud
        self.code_root = code_root  # where function archives are extracted
        self.renew = renew  # new configuration or code: retire the workers (and prewarm)
        self.retire = retire  # a function deleted: retire its workers
        self.mappings_changed = mappings_changed

    def routes(self) -> RouteTable:
        return RouteTable(after_forward=[AfterForward("lambda:control-plane", self._matches,
                                                      self._after)])

    def _match(self, request: GatewayRequest) -> tuple[str, dict[str, str]] | None:
        for method, path, follow in _WRITES:
            found = path.match(request.path) if request.method == method else None
            if found:
                return follow, {key: unquote(value) for key, value in found.groupdict().items()}
        return None

    def _matches(self, request: GatewayRequest) -> bool:
        return self._match(request) is not None

    def _after(self, request: GatewayRequest, response: HttpResponse) -> None:
        follow, params = self._match(request)
        getattr(self, follow)(request, response, **params)

    # -- functions ----------------------------------------------------------------------------

    def _created(self, request: GatewayRequest, response: HttpResponse) -> None:
        configuration = json.loads(response.body)
        name = configuration["FunctionName"]
        code_dir = self._extract(name, json.loads(request.body).get("Code") or {})
        base = FunctionSpec(name=name, arn=configuration["FunctionArn"], handler="", runtime="",
                            role_arn="", code_dir=code_dir, layer_dirs=[], environment={},
                            log_group=f"/aws/lambda/{name}")
        if configuration.get("Layers"):
            log.warning("function %s: layers of a function created after the deployment are "
                        "not extracted; it runs without them", name)
        self.cloud.registry.functions[name] = self._read(base)
        log.info("control plane: function %s created", name)

    def _deleted(self, request: GatewayRequest, response: HttpResponse, function: str) -> None:
        qualifier = (parse_qs(request.query).get("Qualifier") or [None])[0]
        if qualifier not in (None, "$LATEST"):
            return  # one version deleted: $LATEST, which the local cloud runs, stays
        name = function_ref(function)[0]
        if self.cloud.registry.functions.pop(name, None) is None:
            return
        retired = self.retire(name)
        self.mappings_changed()
        log.info("control plane: function %s deleted (%d workers retired)", name, retired)

    def _configured(self, request: GatewayRequest, response: HttpResponse,
                    function: str) -> None:
        self._follow(function_ref(function)[0])

    def _new_code(self, request: GatewayRequest, response: HttpResponse, function: str) -> None:
        name = function_ref(function)[0]
        if name in self.cloud.registry.functions:
            self._follow(name, code_dir=self._extract(name, json.loads(request.body)))

    def _follow(self, name: str, **changes) -> None:
        """Read the function back from moto; retire its workers if what they are started from
        changed."""
        current = self.cloud.registry.functions.get(name)
        if current is None:
            return  # not a function the local cloud runs (created straight in moto)
        spec = self._read(dataclasses.replace(current, **changes))
        self.cloud.registry.functions[name] = spec
        changed = [field for field in _ENVIRONMENT_FIELDS
                   if getattr(spec, field) != getattr(current, field)]
        if changed:
            retired = self.renew(spec)
            log.info("control plane: %s changed (%s); %d workers retired", name,
                     ", ".join(changed), retired)

    def _read(self, base: FunctionSpec) -> FunctionSpec:
        """`base` with the configuration and reserved concurrency moto holds."""
        lambda_ = self.cloud.aws("lambda")
        configuration = lambda_.get_function_configuration(FunctionName=base.name)
        reserved = lambda_.get_function_concurrency(FunctionName=base.name).get(
            "ReservedConcurrentExecutions")
        return dataclasses.replace(
            base, handler=configuration.get("Handler", base.handler),
            runtime=configuration.get("Runtime", base.runtime),
            role_arn=configuration.get("Role", base.role_arn),
            environment=dict((configuration.get("Environment") or {}).get("Variables") or {}),
            timeout_seconds=int(configuration.get("Timeout", base.timeout_seconds)),
            memory_mb=int(configuration.get("MemorySize", base.memory_mb)),
            reserved_concurrency=reserved)

    def _extract(self, name: str, code: dict) -> str:
        """The function's new archive, extracted to a folder of its own."""
        if code.get("ZipFile"):
            archive = base64.b64decode(code["ZipFile"])
        elif code.get("S3Bucket"):
            archive = self.cloud.aws("s3").get_object(
                Bucket=code["S3Bucket"], Key=code["S3Key"],
                **({"VersionId": code["S3ObjectVersion"]} if code.get("S3ObjectVersion")
                   else {}))["Body"].read()
        else:
            raise ValueError(f"function {name}: only zip archives are emulated (not images)")
        os.makedirs(self.code_root, exist_ok=True)
        folder = tempfile.mkdtemp(prefix=f"{name}.", dir=self.code_root)
        with zipfile.ZipFile(io.BytesIO(archive)) as files:
            files.extractall(folder)  # zipfile drops absolute and ".." parts of names
        return folder

    # -- event source mappings ----------------------------------------------------------------

    def _mapping_created(self, request: GatewayRequest, response: HttpResponse) -> None:
        self._mapping_changed(request, response, json.loads(response.body)["UUID"])

    def _mapping_changed(self, request: GatewayRequest, response: HttpResponse,
                         uuid: str) -> None:
        """Replace the registry's copy of the mapping with moto's (none once deleted)."""
        lambda_ = self.cloud.aws("lambda")
        try:
            found = [EventSourceMapping.from_api(lambda_.get_event_source_mapping(UUID=uuid))]
        except lambda_.exceptions.ResourceNotFoundException:
            found = []
        registry = self.cloud.registry
        registry.event_source_mappings = [
            *(mapping for mapping in registry.event_source_mappings if mapping.uuid != uuid),
            *found]
        self.mappings_changed()
        log.info("control plane: event source mapping %s %s", uuid,
                 "updated" if found else "deleted")
