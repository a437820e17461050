"""The deployment graph saved beside moto's state, and the clients that record and replay it.

Each resource is saved with its type, canonical inputs and the AWS calls its handler made with
their responses or AWS errors (`RecordingClients`). Adopting an unchanged resource on the next start runs its
handler again against `ReplayClients`: every call is answered from the saved responses and
nothing reaches the emulator, while the handler's local work happens as on the first start (code
extracted, the registry filled, notes), so adoption needs no second code path per type.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import threading
from collections import defaultdict, deque
from typing import Any, Callable

from botocore.exceptions import ClientError

GRAPH_FILE = "deployment-graph.json"


class ReplayMismatch(RuntimeError):
    """An adopted resource's handler made a call its saved run did not make."""


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$datetime" in value:
            return datetime.datetime.fromisoformat(value["$datetime"])
        if "$bytes" in value:
            return base64.b64decode(value["$bytes"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class _Client:
    def __init__(self, service: str, call: Callable[[str, str, dict], Any]):
        self._service, self._call = service, call

    def __getattr__(self, method: str) -> Callable[..., Any]:
        return lambda **kwargs: self._call(self._service, method, kwargs)


class RecordingClients:
    """`ctx.aws` for one resource: real calls, each response kept in `calls`."""

    def __init__(self, aws: Callable[[str], Any]):
        self._aws = aws
        self.calls: list[list] = []

    def __call__(self, service: str) -> _Client:
        return _Client(service, self._record)

    def _record(self, service: str, method: str, kwargs: dict) -> Any:
        try:
            response = getattr(self._aws(service), method)(**kwargs)
        except ClientError as error:  # an AWS error a handler may expect: replayed too
            self.calls.append([service, method, {"$error": _encode(error.response),
                                                 "operation": error.operation_name}])
            raise
        self.calls.append([service, method, _encode(response)])
        return response


class ReplayClients:
    """`ctx.aws` for one adopted resource: every call answered from its saved responses."""

    def __init__(self, calls: list[list]):
        self.calls = calls
        self._queues: dict[tuple[str, str], deque] = defaultdict(deque)
        for service, method, response in calls:
            self._queues[(service, method)].append(response)

    def __call__(self, service: str) -> _Client:
        return _Client(service, self._replay)

    def _replay(self, service: str, method: str, kwargs: dict) -> Any:
        queue = self._queues.get((service, method))
        if not queue:
            raise ReplayMismatch(f"{service}.{method} was not called when it was created")
        response = queue.popleft()
        if isinstance(response, dict) and "$error" in response:
            raise ClientError(_decode(response["$error"]), response["operation"])
        return _decode(response)


class Graph:
    """key -> {"type", "inputs", "calls"} of one deployment at `endpoint` (saved responses
    hold URLs of it); thread-safe to fill."""

    def __init__(self, resources: dict[str, dict] | None = None, endpoint: str = ""):
        self.resources: dict[str, dict] = resources or {}
        self.endpoint = endpoint
        self._lock = threading.Lock()

    def put(self, key: str, type_token: str, inputs: dict, calls: list[list]) -> None:
        with self._lock:
            self.resources[key] = {"type": type_token, "inputs": inputs, "calls": calls}

    def inputs(self) -> dict[str, dict]:
        return {key: entry["inputs"] for key, entry in self.resources.items()}

    def text(self) -> str:
        return json.dumps({"endpoint": self.endpoint, "resources": self.resources},
                          sort_keys=True, indent=1)

    @staticmethod
    def token_of(text: str) -> str:
        """What ties moto's saved state to the graph it was deployed from."""
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def write(self, path: str) -> str:
        """Write atomically; returns the graph's token."""
        text = self.text()
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
        return self.token_of(text)

    @classmethod
    def read(cls, path: str) -> tuple["Graph", str]:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        data = json.loads(text)
        return cls(data["resources"], data["endpoint"]), cls.token_of(text)
