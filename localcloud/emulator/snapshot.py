"""moto's state on disk: every backend in use pickled to one file, loaded before serving.

moto has no snapshot API, and its recorder replays requests (slow, and it re-runs side effects
such as Step Functions executions). Pickling the backends is what serves: the models are plain
objects, except for these, measured on moto 5.2.5 and handled by `_Pickler`:

- SQS queues' locks: saved as new locks;
- KMS and Cognito RSA private keys: saved as DER bytes;
- Lambda's `defaultdict(lambda: {})`: saved with `dict` as its factory; its weak ARN index:
  saved as a plain mapping (its values are also held by the function table);
- instances of classes defined inside a function (the fixes' subclasses, such as Step
  Functions executions with a logging session): saved as the nearest importable base class,
  moto's own, which behaves the same once the execution has ended.

The file is written atomically (temp file + rename) and only once the local cloud has `arm`ed
saving, with the token of the deployment the data belongs to (written into the file): a start
that failed half way never overwrites the state of the last good run. A service that fails to
pickle is left out and named in `skipped` (the local cloud's summary shows it).
"""

from __future__ import annotations

import collections
import io
import logging
import os
import pickle
import threading
import weakref
from typing import Any

from .json_endpoint import json_endpoint

log = logging.getLogger("localcloud.snapshot")

FILE_NAME = "moto-state.pickle"
_NEW_LOCK = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    return load_der_private_key(der, None)


def _weak_values(items: dict) -> weakref.WeakValueDictionary:
    return weakref.WeakValueDictionary(items)


def _blank(cls: type) -> Any:
    return cls.__new__(cls)


def _importable_base(cls: type) -> type | None:
    """The nearest class of `cls`'s bases that pickle can name (not defined in a function)."""
    return next((base for base in cls.__mro__ if "<locals>" not in base.__qualname__
                 and base is not object), None)


def _defaultdict(factory: type, items: dict) -> collections.defaultdict:
    return collections.defaultdict(factory, items)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        if type(obj) in _NEW_LOCK:
            return _NEW_LOCK[type(obj)], ()
        if isinstance(obj, weakref.WeakValueDictionary):
            return _weak_values, (dict(obj),)
        if isinstance(obj, collections.defaultdict) and getattr(
                obj.default_factory, "__name__", "") == "<lambda>":  # `lambda: {}` in Lambda
            return _defaultdict, (type(obj.default_factory()), dict(obj))
        if "<locals>" in type(obj).__qualname__ and hasattr(obj, "__dict__"):
            base = _importable_base(type(obj))  # a fix's subclass: saved as moto's own class
            if base is not None:
                # state apart from creation: it may refer back to the object itself
                return _blank, (base,), vars(obj)
        if isinstance(obj, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            return _private_key, (obj.private_bytes(serialization.Encoding.DER,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()),)
        return NotImplemented


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


class Snapshots:
    """Saves and loads the moto backends of this process to `<state_dir>/moto-state.pickle`."""

    def __init__(self, state_dir: str):
        self.path = os.path.join(state_dir, FILE_NAME)
        self.token: str | None = None  # set by `arm`: nothing is saved before
        self._lock = threading.Lock()

    def arm(self, token: str) -> None:
        self.token = token

    def save(self) -> dict:
        """Pickle every backend in use; returns what was saved and what was skipped."""
        from moto.core.base_backend import BackendDict

        if self.token is None:
            return {"saved": False}
        with self._lock:
            services: dict[str, bytes] = {}
            skipped: dict[str, str] = {}
            for backends in list(BackendDict._instances):
                name = f"{backends.backend.__module__}:{backends.service_name}"
                data = {account: dict(regions) for account, regions in list(backends.items())}
                for attempt in range(3):  # a request changing a dict mid-pickle: try again
                    try:
                        services[name] = _dumps(data)
                        break
                    except RuntimeError as error:
                        if attempt == 2:
                            skipped[name] = f"{type(error).__name__}: {error}"
                    except Exception as error:  # noqa: BLE001 (named in the summary instead)
                        skipped[name] = f"{type(error).__name__}: {error}"
                        break
            payload = pickle.dumps({"token": self.token, "services": services,
                                    "skipped": skipped}, protocol=pickle.HIGHEST_PROTOCOL)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "wb") as handle:
                handle.write(payload)
            os.replace(temporary, self.path)
        return {"saved": True, "services": sorted(services), "skipped": skipped}

    def load(self) -> dict:
        """Put the saved backends in place of the empty ones (before the server serves)."""
        if not os.path.exists(self.path):
            return {"loaded": False}
        with open(self.path, "rb") as handle:
            saved = pickle.load(handle)
        failed: dict[str, str] = dict(saved["skipped"])
        for name, data in saved["services"].items():
            try:
                accounts = pickle.loads(data)
                live = _backends(name)
                for account, regions in accounts.items():
                    for region, backend in regions.items():
                        dict.__setitem__(live[account], region, backend)
            except Exception as error:  # noqa: BLE001 (named in the summary instead)
                failed[name] = f"{type(error).__name__}: {error}"
        return {"loaded": True, "token": saved["token"], "services": sorted(saved["services"]),
                "skipped": failed}


def _backends(key: str) -> Any:
    """The live `BackendDict` saved under `key` (the backend's module and service name)."""
    import importlib

    from moto.core.base_backend import BackendDict

    module_name, service = key.split(":", 1)
    for value in vars(importlib.import_module(module_name)).values():
        if isinstance(value, BackendDict) and value.service_name == service:
            return value
    raise LookupError(f"no moto backends for {service} in {module_name}")


PATH = "/_localcloud/snapshot"


def serve_snapshots(app: Any, snapshots: Snapshots, loaded: dict) -> Any:
    """WSGI: `GET /_localcloud/snapshot` answers what was loaded at start; `POST` with
    `{"token": ...}` arms saving for that deployment and saves now."""
    def arm_and_save(body: dict) -> dict:
        snapshots.arm(body["token"])
        return snapshots.save()

    return json_endpoint(app, PATH, get=lambda: loaded, post=arm_and_save)


def saved_token(state_dir: str) -> str | None:
    """The deployment token of the saved state, read without importing moto (the services
    are pickled separately inside the file)."""
    path = os.path.join(state_dir, FILE_NAME)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return pickle.load(handle)["token"]
