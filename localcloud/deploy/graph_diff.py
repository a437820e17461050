"""The diff of a program's resource graph against the one last deployed.

A resource is known by its type and logical name; its inputs are compared in a canonical JSON
form (`canonical`): assets and archives by where they come from, not by content (saved code
reaches the functions through hot reload and the re-extraction of every start, not as a change
of the graph). The diff decides per resource: `adopt` (same inputs: it exists, nothing is
called), `update` (changed, and its type can be changed in place), `create` (new), or it names
the change as one that needs a restart with `--fresh`; resources left out of the program are
`removed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADOPT, UPDATE, CREATE, RESTART = "adopt", "update", "create", "restart"


def resource_key(type_token: str, name: str) -> str:
    return f"{type_token}::{name}"


def canonical(value: Any) -> Any:
    """A JSON-able form of resolved inputs: assets and archives by path, text or asset map."""
    import pulumi

    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, pulumi.AssetArchive):
        return {"assetArchive": canonical(value.assets)}
    for kind in (pulumi.FileArchive, pulumi.FileAsset, pulumi.RemoteArchive,
                 pulumi.RemoteAsset):
        if isinstance(value, kind):
            return {kind.__name__: getattr(value, "path", None) or getattr(value, "uri", None)}
    if isinstance(value, pulumi.StringAsset):
        return {"StringAsset": value.text}
    if isinstance(value, float) and value.is_integer():
        return int(value)  # numbers arrive as floats under the SDK mocks
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def changed_keys(old: dict, new: dict) -> list[str]:
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


@dataclass
class Decision:
    action: str  # adopt | update | create | restart
    changed: list[str] = field(default_factory=list)


@dataclass
class GraphDiff:
    """Decides, resource by resource as the program registers them, against `previous`
    (key -> canonical inputs), the types whose changes apply in place (`updatable`) and the
    keys whose change replaces a resource instead (`replacing`)."""

    previous: dict[str, dict]
    updatable: frozenset[str] = frozenset()
    replacing: frozenset[str] = frozenset()
    seen: set[str] = field(default_factory=set)

    def decide(self, type_token: str, name: str, inputs: dict,
               ignore: frozenset[str] = frozenset()) -> Decision:
        """`ignore`: the resource's `ignore_changes` keys (a change there is no change)."""
        key = resource_key(type_token, name)
        self.seen.add(key)
        if key not in self.previous:
            return Decision(CREATE)
        changed = [k for k in changed_keys(self.previous[key], inputs) if k not in ignore]
        if not changed:
            return Decision(ADOPT)
        in_place = type_token in self.updatable and not self.replacing.intersection(changed)
        return Decision(UPDATE if in_place else RESTART, changed)

    def removed(self) -> list[str]:
        """Resources deployed last time that the program no longer registers."""
        return sorted(set(self.previous) - self.seen)
