"""Adapts the plain rules to `pulumi_policy`: one Policy per rule, no logic of its own.

Importing this module starts nothing; only `PolicyPack(...)` in `__main__.py` starts the
analyzer server.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from pulumi_policy import (EnforcementLevel, Policy, PolicyProviderResource, PolicyResource,
                           ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs,
                           StackValidationPolicy)
from pulumi_policy.deserialize import serialize_properties
from pulumi_policy.proxy import (UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE,
                                 UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE,
                                 UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE)

from .model import UNKNOWN, Resource, environment_of, tags_of
from .rules import RULES, Rule

PACK_NAME = "order-platform"
_UNKNOWNS = frozenset({UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE,
                       UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE,
                       UNKNOWN_STRING_VALUE})


def _mark_unknowns(value: Any) -> Any:
    if isinstance(value, str) and value in _UNKNOWNS:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {k: _mark_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_unknowns(v) for v in value]
    return value


def plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """Proxied properties as plain data, unknown values as UNKNOWN.

    The proxies raise on any unknown value, which would make pulumi_policy skip the whole
    policy during preview; rules decide per value instead.
    """
    return _mark_unknowns(serialize_properties(props))


def to_resource(resource_type: str, name: str, urn: str, props: Mapping[str, Any],
                provider: Optional[PolicyProviderResource],
                property_dependencies: Optional[Mapping[str, list[PolicyResource]]] = None,
                ) -> Resource:
    provider_props = plain(provider.props) if provider is not None else {}
    default_tags = tags_of(provider_props.get("defaultTags"))
    values = plain(props)
    return Resource(
        type=resource_type, name=name, urn=urn, props=values,
        environment=environment_of(default_tags, values),
        provider=provider.name if provider is not None else "",
        default_tags=default_tags,
        refs={prop: tuple(d.urn for d in deps)
              for prop, deps in (property_dependencies or {}).items()})


def _resource_policy(rule: Rule, level: EnforcementLevel) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation) -> None:
        resource = to_resource(args.resource_type, args.name, args.urn, args.props,
                               args.provider)
        rule.check(resource, lambda message, _resource=None: report_violation(message, None))

    return ResourceValidationPolicy(name=rule.name, description=rule.description,
                                    validate=validate, enforcement_level=level)


def _stack_policy(rule: Rule, level: EnforcementLevel) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation) -> None:
        resources = [to_resource(r.resource_type, r.name, r.urn, r.props, r.provider,
                                 r.property_dependencies) for r in args.resources]

        def report(message: str, resource: Optional[Resource] = None) -> None:
            report_violation(message, resource.urn if resource and resource.urn else None)

        rule.check(resources, report)

    return StackValidationPolicy(name=rule.name, description=rule.description,
                                 validate=validate, enforcement_level=level)


def policies(level: EnforcementLevel = EnforcementLevel.MANDATORY) -> list[Policy]:
    return [_stack_policy(rule, level) if rule.stack else _resource_policy(rule, level)
            for rule in RULES]
