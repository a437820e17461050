"""Plain data the rules work on, so they run the same under the policy pack and in unit tests.

A rule never sees `pulumi_policy` objects: the pack's adapter (and the tests) turn each resource
into a `Resource`, and rules report through a plain callable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional

REQUIRED_TAGS = ("project", "environment")
PRODUCTION = "prod"


class _Unknown:
    """A value Pulumi cannot know yet (during preview, e.g. the ARN of a resource to create)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def present(value: Any) -> bool:
    """Set to something: an unknown value is set, it just is not known during preview."""
    return value is not None and value != "" and value != [] and value != {}


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it.

    `props` are the inputs for resource rules and the outputs for stack rules (as the engine
    passes them). `environment` is the stack's `environment` tag (see `environment_of`).
    `refs` maps a property to the URNs of the resources its value was computed from, which is
    how a stack rule follows a reference whose value is unknown during preview.
    """

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    environment: Optional[str] = None
    provider: str = ""
    default_tags: Mapping[str, str] = field(default_factory=dict)
    refs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.type} '{self.name}'"

    def get(self, *path: str) -> Any:
        """A nested property: None when a step is missing, UNKNOWN when a step is unknown."""
        value: Any = self.props
        for key in path:
            if is_unknown(value):
                return UNKNOWN
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    @property
    def is_production(self) -> bool:
        return self.environment == PRODUCTION


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    resource: Optional[Resource] = None


# Rules report with `report(message, resource)`; the message names the resource.
Report = Callable[[str, Optional[Resource]], None]


def parse_json(value: Any) -> Any:
    """A JSON property (policy documents, redrive policies): parsed, or None when unknown/unset.

    Raises ValueError for text that is not JSON, so that a broken document is reported.
    """
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        return json.loads(value)
    return value  # already structured


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def tags_of(value: Any) -> dict[str, str]:
    """A tag map from `tags`/`tagsAll`/`defaultTags` (a JSON string in provider inputs)."""
    try:
        value = parse_json(value)
    except ValueError:
        return {}
    if isinstance(value, Mapping) and isinstance(value.get("tags"), Mapping):
        value = value["tags"]
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, str)}


def environment_of(default_tags: Mapping[str, str], props: Mapping[str, Any]) -> Optional[str]:
    """The stack's environment: the `environment` tag of the provider's default tags, else of
    the resource's own tags. It is a required tag, so a stack without it fails `required-tags`.
    """
    for tags in (default_tags, tags_of(props.get("tagsAll")), tags_of(props.get("tags"))):
        if tags.get("environment"):
            return tags["environment"]
    return None


def by_urn(resources: Iterable[Resource]) -> dict[str, Resource]:
    return {r.urn: r for r in resources if r.urn}
