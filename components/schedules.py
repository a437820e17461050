"""A function run on a schedule on the default bus, wired the same way wherever it is used
(daily-report, sweep-stuck-orders): the rule, named after the stack (the default bus is shared
by every stack of the account); one DLQ for runs EventBridge could not deliver and for the
function's own failed asynchronous runs; and the target, with the order bus targets' retries
and maximum event age.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.event_targets import Delivery, lambda_target, target_dead_letter_queue
from components.python_function import AsyncInvoke, PythonFunction
from components.tables import Protection
from stack_settings import EventSettings


@dataclass
class Schedule:
    name: str
    rule: aws.cloudwatch.EventRule
    dead_letter_queue: aws.sqs.Queue
    delivery: EventSettings

    def async_invoke(self) -> AsyncInvoke:
        """The function's asynchronous settings: its failed runs land in the same DLQ."""
        d = self.delivery
        return AsyncInvoke(d.async_max_retry_attempts, d.async_max_event_age_seconds,
                           self.dead_letter_queue.arn)

    def target(self, function: PythonFunction,
               parent: pulumi.Resource) -> aws.cloudwatch.EventTarget:
        d = self.delivery
        return lambda_target(self.name, self.rule, function, Delivery(
            d.target_max_retry_attempts, d.target_max_event_age_seconds,
            self.dead_letter_queue), parent)


def schedule(name: str, *, name_prefix: str, description: str, expression: str,
             delivery: EventSettings, protection: Protection,
             parent: pulumi.Resource) -> Schedule:
    """The rule `<name>-schedule` and the DLQ `<name>-dlq`; the target comes with `target`."""
    rule = aws.cloudwatch.EventRule(
        f"{name}-schedule", name=f"{name_prefix}-{name}", description=description,
        schedule_expression=expression, opts=pulumi.ResourceOptions(parent=parent))
    dead_letter_queue = target_dead_letter_queue(
        f"{name}-dlq", [rule], parent, opts=protection.options(parent))
    return Schedule(name, rule, dead_letter_queue, delivery)
