"""Lambda functions: a managed log group with retention, and Active tracing in production."""

from __future__ import annotations

from typing import Sequence

from .model import Report, Resource, by_urn, is_unknown, present

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def function_log_groups(resources: Sequence[Resource], report: Report) -> None:
    """Stack rule: the group a function logs to (`loggingConfig.logGroup`) is a LogGroup of the
    stack with a retention. Otherwise Lambda creates `/aws/lambda/<name>` itself, unmanaged and
    kept forever.
    """
    groups = {r.props.get("name"): r for r in resources if r.type == LOG_GROUP}
    urns = by_urn(resources)
    for fn in (r for r in resources if r.type == FUNCTION):
        name = fn.get("loggingConfig", "logGroup")
        if is_unknown(name):
            # During preview the name may be computed: follow the reference instead.
            group = next((urns[u] for u in fn.refs.get("loggingConfig", ())
                          if u in urns and urns[u].type == LOG_GROUP), None)
            if group is None:
                continue
        elif not present(name):
            report(f"{fn.label} sets no loggingConfig.logGroup: Lambda would create an "
                   "unmanaged log group that never expires; create a cloudwatch.LogGroup with "
                   "retention_in_days and pass its name in logging_config", fn)
            continue
        else:
            group = groups.get(name)
        if group is None:
            report(f"{fn.label} logs to '{name}', which is no LogGroup of this stack: create "
                   "a cloudwatch.LogGroup with that name and retention_in_days", fn)
        elif not present(group.props.get("retentionInDays")):
            report(f"{fn.label} logs to {group.label}, which has no retentionInDays "
                   "(logs never expire): set retention_in_days from the stack config", fn)


def function_tracing_in_production(resource: Resource, report: Report) -> None:
    """Resource rule: production functions trace with X-Ray (`tracingConfig.mode` Active)."""
    if resource.type != FUNCTION or not resource.is_production:
        return
    mode = resource.get("tracingConfig", "mode")
    if not is_unknown(mode) and mode != "Active":
        report(f"{resource.label} has tracing mode {mode or 'unset'} in production: set "
               "tracing_config mode 'Active' (and grant the X-Ray put actions)", resource)
