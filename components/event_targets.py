"""EventBridge targets as the platform wires them: every target retries, drops events only after
a maximum age, and sends what it could not deliver to a dead-letter queue.

Used by every rule of the program (the order bus fan-out and the daily schedule), so a rule
target is never wired by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.messaging import ServiceSender, allow_senders, dead_letter_queue
from components.python_function import PythonFunction

EVENTS_SERVICE = "events.amazonaws.com"


@dataclass(frozen=True)
class Delivery:
    """Retries and maximum age of EventBridge's delivery attempts, and where it gives up to.

    This covers delivery only; errors inside an asynchronously invoked function follow the
    function's own async settings (`AsyncInvoke`).
    """

    max_retry_attempts: int
    max_event_age_seconds: int
    dead_letter_queue: aws.sqs.Queue


def target_dead_letter_queue(name: str, rules: Sequence[aws.cloudwatch.EventRule],
                             parent: pulumi.Resource,
                             opts: pulumi.ResourceOptions | None = None) -> aws.sqs.Queue:
    """A DLQ that EventBridge may send to on behalf of these rules, and no others."""
    queue = dead_letter_queue(name, parent=parent, opts=opts)
    allow_senders(f"{name}-policy", queue,
                  [ServiceSender(EVENTS_SERVICE, [rule.arn for rule in rules])], parent=parent)
    return queue


def target(name: str, rule: aws.cloudwatch.EventRule, arn: pulumi.Input[str],
           delivery: Delivery, parent: pulumi.Resource,
           depends_on: Sequence[pulumi.Resource] = ()) -> aws.cloudwatch.EventTarget:
    """Deliver the rule's events to `arn` (queue, topic or function) with `delivery`."""
    return aws.cloudwatch.EventTarget(
        name,
        rule=rule.name,
        # A target on a custom bus must name the bus, or it is looked up on the default bus.
        event_bus_name=rule.event_bus_name,
        target_id=name,
        arn=arn,
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_retry_attempts=delivery.max_retry_attempts,
            maximum_event_age_in_seconds=delivery.max_event_age_seconds),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(
            arn=delivery.dead_letter_queue.arn),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))


def lambda_target(name: str, rule: aws.cloudwatch.EventRule, function: PythonFunction,
                  delivery: Delivery, parent: pulumi.Resource) -> aws.cloudwatch.EventTarget:
    """Invoke `function` for the rule's events; only this rule may invoke it this way."""
    permission = aws.lambda_.Permission(
        f"{name}-permission", action="lambda:InvokeFunction", function=function.function.name,
        qualifier=function.alias.name if function.alias else None,
        principal=EVENTS_SERVICE, source_arn=rule.arn,
        opts=pulumi.ResourceOptions(parent=parent))
    return target(name, rule, function.arn, delivery, parent, depends_on=[permission])
