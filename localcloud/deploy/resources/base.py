"""What every resource handler needs: clients, naming, value conversions, the registry."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from localcloud.core.registry import Registry

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_SIG = "4dabf18193072939515e22adb298388d"

Handler = Callable[["Context", str, dict], "tuple[str, dict]"]


@dataclass
class Context:
    """Shared by the handlers of one deployment; handlers run on several threads at once."""

    aws: Callable[[str], Any]  # service name -> boto3 client (through the gateway)
    region: str
    account_id: str
    endpoint_url: str
    state_dir: str
    project_dir: str
    project: str = ""  # the Pulumi project and stack: stable ids are derived from them
    stack: str = ""
    registry: Registry = field(default_factory=Registry)
    notes: list[str] = field(default_factory=list)  # shown in the start-up summary
    local_layers: dict[str, str] = field(default_factory=dict)  # layer version ARN -> dir
    external_layers: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def note(self, text: str) -> None:
        with self.lock:
            if text not in self.notes:
                self.notes.append(text)

    def stable_id(self, logical: str, length: int = 10) -> str:
        """An id in AWS's lowercase alphanumeric shape, the same on every deployment of this
        stack (a saved URL keeps working after a restart), different across stacks and names."""
        digest = int.from_bytes(hashlib.sha256(
            f"{self.project}/{self.stack}/{logical}".encode()).digest(), "big")
        chars = []
        for _ in range(length):
            digest, index = divmod(digest, 36)
            chars.append(_BASE36[index])
        return "".join(chars)

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id}:{resource}"


def plain(value: Any) -> Any:
    """Unwrap the SDK's secret envelopes, recursively (the emulator stores plain values)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def as_int(value: Any, default: int | None = None) -> int | None:
    """Numbers arrive as floats under the SDK mocks."""
    if value is None or value == "":
        return default
    return int(float(value))


def physical_name(inputs: dict, logical: str, *, key: str = "name", max_len: int = 64,
                  allowed: str = r"[^A-Za-z0-9_-]") -> str:
    """The explicit name if the program set one, else the logical name (readable locally)."""
    name = inputs.get(key)
    if name:
        return name
    prefix = inputs.get(f"{key}Prefix")
    base = f"{prefix}{logical}" if prefix else logical
    return re.sub(allowed, "-", base)[:max_len]


def tag_list(tags: dict | None, key: str = "Key", value: str = "Value") -> list[dict]:
    return [{key: k, value: str(v)} for k, v in (tags or {}).items()]


def drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != {} and v != []}
