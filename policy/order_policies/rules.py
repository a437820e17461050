"""The catalogue of rules the pack enforces, and a runner for tests and tools.

Resource rules see one resource's inputs (as `pulumi preview` registers it); stack rules see
every resource's outputs at the end of the run, which is where cross-resource relations
(function -> log group, target -> invoke config, mapping -> queue) can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from . import api, async_edges, functions, iam, storage, tags
from .model import Resource, Violation


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable
    stack: bool = False  # True: check(resources, report); False: check(resource, report)


RULES: tuple[Rule, ...] = (
    Rule("lambda-managed-log-group",
         "Every Lambda function logs to a LogGroup of the stack that has a retention.",
         functions.function_log_groups, stack=True),
    Rule("lambda-tracing-in-production",
         "Lambda functions trace with X-Ray (mode Active) in production.",
         functions.function_tracing_in_production),
    Rule("eventbridge-target-dead-letter",
         "Every EventBridge target has a dead-letter queue.",
         async_edges.event_target_dead_letter),
    Rule("async-invoke-failure-destination",
         "Every asynchronously invoked function has an on-failure destination.",
         async_edges.async_functions_have_failure_destination, stack=True),
    Rule("sqs-source-redrive",
         "Every SQS queue that feeds a function has a redrive policy to a dead-letter queue.",
         async_edges.queue_sources_have_redrive, stack=True),
    Rule("iam-no-wildcard-actions",
         "No IAM statement allows '*' or 'service:*' actions.",
         iam.no_wildcard_actions),
    Rule("iam-star-resource-exceptions",
         "Resource '*' only for actions AWS cannot scope (X-Ray, Step Functions log delivery).",
         iam.star_resources_only_where_required),
    Rule("service-principal-source-condition",
         "Key, topic and queue policies hold service principals to aws:SourceAccount or "
         "aws:SourceArn.",
         iam.service_principals_are_scoped),
    Rule("dynamodb-production-protection",
         "DynamoDB tables have point-in-time recovery and deletion protection in production.",
         storage.dynamodb_production_protection),
    Rule("sqs-encryption",
         "SQS queues are encrypted.",
         storage.queue_encryption),
    Rule("sns-encryption",
         "SNS topics are encrypted with a customer-managed KMS key.",
         storage.topic_encryption),
    Rule("api-stage-access-logs",
         "API Gateway stages write access logs.",
         api.stage_access_logs),
    Rule("api-method-authorization",
         "REST API methods other than OPTIONS require authorization (an authorizer).",
         api.method_authorization),
    Rule("required-tags",
         "AWS resources carry the tags project and environment (aws:defaultTags).",
         tags.required_tags, stack=True),
)


def run(rules: Iterable[Rule], inputs: Iterable[Resource],
        outputs: Optional[Iterable[Resource]] = None) -> list[Violation]:
    """Every violation of `rules`: resource rules on `inputs`, stack rules on `outputs`."""
    inputs = list(inputs)
    outputs = inputs if outputs is None else list(outputs)
    found: list[Violation] = []
    for rule in rules:
        def report(message: str, resource: Optional[Resource] = None, _rule=rule) -> None:
            found.append(Violation(_rule.name, message, resource))
        if rule.stack:
            rule.check(outputs, report)
        else:
            for resource in inputs:
                rule.check(resource, report)
    return found
