"""The index page's data: the stack's resources grouped by the component that owns them.

The deployment records each registration's parent URN; a component is a resource with
children (component resources create nothing, so they have no physical id)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Node:
    type: str
    name: str
    id: str
    children: list["Node"] = field(default_factory=list)

    @property
    def is_component(self) -> bool:
        return bool(self.children)

    @property
    def count(self) -> int:
        """The resources (not components) under this node."""
        return sum(child.count if child.is_component else 1 for child in self.children)


def by_component(resources: list[dict[str, str]]) -> list[Node]:
    """The stack's top-level nodes (components first, each with its children, in the order
    they were registered); providers and the stack itself are left out."""
    nodes = {r["urn"]: Node(r["type"], r["name"], r.get("id") or "")
             for r in resources if not r["type"].startswith("pulumi:")}
    roots: list[Node] = []
    for resource in resources:
        node = nodes.get(resource["urn"])
        if node is None:
            continue
        parent = nodes.get(resource.get("parent") or "")
        (parent.children if parent else roots).append(node)
    return sorted(roots, key=lambda n: not n.is_component)
