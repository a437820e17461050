"""Asynchronous edges: nothing that is retried in the background may be dropped silently.

- an EventBridge target dead-letters what it cannot deliver;
- a function invoked asynchronously (an EventBridge or SNS target) sends the events it failed
  on to an on-failure destination;
- an SQS queue that feeds a function redrives poison messages to a dead-letter queue.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional, Sequence

from .model import Report, Resource, by_urn, is_unknown, parse_json, present

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
QUEUE = "aws:sqs/queue:Queue"
REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"

LATEST = "$LATEST"
# Function ARN, partial ARN (`account:function:name`) or name, each with an optional qualifier.
_FUNCTION_REF = re.compile(
    r"^(?:arn:[^:]+:lambda:[^:]*:[^:]*:function:|[0-9]{12}:function:)?"
    r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9_$-]+))?$")

# Async-invoke settings apply per function, version or alias: an alias target needs its own.
FunctionKey = tuple[str, str]  # (function name, qualifier)


def event_target_dead_letter(resource: Resource, report: Report) -> None:
    """Resource rule: every EventBridge target has a dead-letter queue for failed deliveries."""
    if resource.type != EVENT_TARGET:
        return
    if not present(resource.get("deadLetterConfig", "arn")):
        report(f"{resource.label} has no deadLetterConfig: events EventBridge cannot deliver "
               "after its retries are dropped; set dead_letter_config to an SQS queue whose "
               "policy lets events.amazonaws.com send for this rule", resource)


def _key_from_value(value: Any, qualifier: Any = None) -> Optional[FunctionKey]:
    if not isinstance(value, str):
        return None
    match = _FUNCTION_REF.match(value)
    if match is None or (value.startswith("arn:") and ":lambda:" not in value):
        return None
    own = qualifier if isinstance(qualifier, str) and qualifier else None
    return match["name"], own or match["qualifier"] or LATEST


def _key_from_resource(resource: Resource) -> Optional[FunctionKey]:
    if resource.type == FUNCTION and isinstance(resource.props.get("name"), str):
        return resource.props["name"], LATEST
    if resource.type == ALIAS and isinstance(resource.props.get("functionName"), str):
        return resource.props["functionName"], str(resource.props.get("name"))
    return None


def _function_key(resource: Resource, prop: str, urns: Mapping[str, Resource],
                  qualifier: Any = None) -> Optional[FunctionKey]:
    """The function (and qualifier) a property designates, following refs when unknown."""
    value = resource.props.get(prop)
    if not is_unknown(value):
        return _key_from_value(value, qualifier)
    for urn in resource.refs.get(prop, ()):
        if urn in urns and (key := _key_from_resource(urns[urn])) is not None:
            return key
    return None


def _async_invokers(resources: Iterable[Resource],
                    urns: Mapping[str, Resource]) -> dict[FunctionKey, Resource]:
    """Functions invoked asynchronously, each with one resource that invokes it."""
    invoked: dict[FunctionKey, Resource] = {}
    for r in resources:
        if r.type == EVENT_TARGET:
            key = _function_key(r, "arn", urns)
        elif r.type == TOPIC_SUBSCRIPTION and r.props.get("protocol") == "lambda":
            key = _function_key(r, "endpoint", urns)
        else:
            continue
        if key is not None:
            invoked.setdefault(key, r)
    return invoked


def async_functions_have_failure_destination(resources: Sequence[Resource],
                                             report: Report) -> None:
    """Stack rule: every function an EventBridge rule or SNS topic invokes (asynchronously) has
    a FunctionEventInvokeConfig with an on-failure destination for that function/qualifier.
    """
    urns = by_urn(resources)
    configured: set[FunctionKey] = set()
    for r in (r for r in resources if r.type == INVOKE_CONFIG):
        if not present(r.get("destinationConfig", "onFailure", "destination")):
            continue
        key = _function_key(r, "functionName", urns, r.props.get("qualifier"))
        if key is not None:
            configured.add(key)
    for (name, qualifier), invoker in _async_invokers(resources, urns).items():
        if (name, qualifier) not in configured:
            where = "" if qualifier == LATEST else f" (qualifier {qualifier})"
            report(f"function '{name}'{where}, invoked asynchronously by {invoker.label}, has "
                   "no FunctionEventInvokeConfig with an on-failure destination: events it fails "
                   "on after its retries are lost; add one (destination_config.on_failure) for "
                   "this function and qualifier", invoker)


def _redrive_problem(value: Any) -> Optional[str]:
    """What is wrong with a redrive policy, or None when it dead-letters properly."""
    if is_unknown(value):
        return None  # set; its content is checked once known
    try:
        policy = parse_json(value)
    except ValueError:
        return "a redrive policy that is not JSON"
    if not isinstance(policy, Mapping) or not present(policy.get("deadLetterTargetArn")):
        return "no redrive policy with a deadLetterTargetArn"
    count = policy.get("maxReceiveCount")
    if not is_unknown(count) and (isinstance(count, bool) or not isinstance(count, int)):
        return f"maxReceiveCount {count!r}, which is not an integer"
    return None


def _redrive_policies(resources: Iterable[Resource]) -> dict[Any, Any]:
    """Queue URL -> redrive policy given by a separate RedrivePolicy resource."""
    return {r.props.get("queueUrl"): r.props.get("redrivePolicy")
            for r in resources if r.type == REDRIVE_POLICY and present(r.props.get("queueUrl"))}


def queue_sources_have_redrive(resources: Sequence[Resource], report: Report) -> None:
    """Stack rule: an SQS queue that is the source of an event source mapping has a redrive
    policy (dead-letter target and integer maxReceiveCount); otherwise a poison message is
    retried until it expires and fails its batch every time.
    """
    urns = by_urn(resources)
    queues = {r.props.get("arn"): r for r in resources if r.type == QUEUE}
    separate = _redrive_policies(resources)
    for mapping in (r for r in resources if r.type == EVENT_SOURCE_MAPPING):
        source = mapping.props.get("eventSourceArn")
        if is_unknown(source):
            queue = next((urns[u] for u in mapping.refs.get("eventSourceArn", ())
                          if u in urns and urns[u].type == QUEUE), None)
        else:
            queue = queues.get(source)
        if queue is None:
            continue  # not an SQS source of this stack (a stream, or a queue owned elsewhere)
        policy = queue.props.get("redrivePolicy")
        if not present(policy):
            policy = separate.get(queue.props.get("url"), separate.get(queue.props.get("id")))
        problem = _redrive_problem(policy)
        if problem:
            report(f"{queue.label} feeds {mapping.label} but has {problem}: set redrive_policy "
                   "with deadLetterTargetArn and an integer maxReceiveCount", queue)
