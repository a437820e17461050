"""Matching a request path to an API Gateway resource, compiled once per API definition.

API Gateway prefers, segment by segment, a literal path part over a `{param}` over a greedy
`{proxy+}` (which takes one or more remaining segments), and backtracks when a branch cannot
complete the path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")


@dataclass
class _Node(Generic[T]):
    target: T | None = None
    literals: dict[str, "_Node[T]"] = field(default_factory=dict)
    param: tuple[str, "_Node[T]"] | None = None
    greedy: tuple[str, T] | None = None


class Router(Generic[T]):
    """Resource paths (`/users/{userId}`, `/files/{proxy+}`) -> targets."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()

    def add(self, resource_path: str, target: T) -> None:
        node = self._root
        for part in split_path(resource_path, decode=False):
            if part.startswith("{") and part.endswith("+}"):
                node.greedy = (part[1:-2], target)
                return
            if part.startswith("{") and part.endswith("}"):
                if node.param is None:
                    node.param = (part[1:-1], _Node())
                node = node.param[1]
            else:
                node = node.literals.setdefault(part, _Node())
        node.target = target

    def match(self, path: str) -> tuple[T, dict[str, str]] | None:
        """The target for a request path and its (decoded) path parameters."""
        return self._match(self._root, split_path(path), 0, {})

    def _match(self, node: _Node[T], parts: list[str], i: int,
               params: dict[str, str]) -> tuple[T, dict[str, str]] | None:
        if i == len(parts):
            return (node.target, params) if node.target is not None else None
        literal = node.literals.get(parts[i])
        if literal is not None:
            found = self._match(literal, parts, i + 1, params)
            if found:
                return found
        if node.param is not None:
            name, child = node.param
            found = self._match(child, parts, i + 1, {**params, name: parts[i]})
            if found:
                return found
        if node.greedy is not None:
            name, target = node.greedy
            return target, {**params, name: "/".join(parts[i:])}
        return None


def split_path(path: str, *, decode: bool = True) -> list[str]:
    """Path segments; empty ones (leading, trailing or doubled slashes) are ignored."""
    parts = [p for p in path.split("/") if p]
    return [unquote(p) for p in parts] if decode else parts
