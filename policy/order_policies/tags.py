"""Required tags (`project`, `environment`), set once for the stack through `aws:defaultTags`.

What a pack can check: the default tags of the AWS provider each resource uses, and the
resource's own `tagsAll`/`tags` where the engine passes them. A resource AWS cannot tag
(e.g. a RolePolicy) has neither and is covered by its provider's default tags.
"""

from __future__ import annotations

from typing import Sequence

from .model import REQUIRED_TAGS, Report, Resource, tags_of


def _effective_tags(resource: Resource) -> dict[str, str]:
    return {**resource.default_tags, **tags_of(resource.props.get("tags")),
            **tags_of(resource.props.get("tagsAll"))}


def required_tags(resources: Sequence[Resource], report: Report) -> None:
    """Stack rule: every AWS resource carries the required tags. Resources of one provider that
    all lack them are reported once, at the provider (the fix is `aws:defaultTags`).
    """
    untagged: dict[str, list[tuple[Resource, list[str]]]] = {}
    for r in resources:
        if not r.type.startswith("aws:"):
            continue  # components and providers themselves
        tags = _effective_tags(r)
        missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
        if missing:
            untagged.setdefault(r.provider, []).append((r, missing))
    for provider, entries in untagged.items():
        missing = sorted({t for _, lacking in entries for t in lacking})
        names = ", ".join(r.label for r, _ in entries[:3]) + (", ..." if len(entries) > 3 else "")
        report(f"{len(entries)} AWS resource(s) of provider '{provider or 'default'}' lack the "
               f"tag(s) {', '.join(missing)} ({names}): set them in aws:defaultTags of the "
               "stack config", entries[0][0])
