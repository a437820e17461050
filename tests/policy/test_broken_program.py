"""Each rule fails on the program's own prod graph once one real resource is broken, with a
message naming that resource. Targets are picked from the graph, so new resources are covered.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

import pytest

from order_policies import RULES, Resource, run

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
TABLE = "aws:dynamodb/table:Table"
STAGE = "aws:apigateway/stage:Stage"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

RULE = {rule.name: rule for rule in RULES}


def first(resources: list[Resource], typ: str,
          where: Callable[[Resource], bool] = lambda r: True) -> Resource:
    return next(r for r in resources if r.type == typ and where(r))


def with_props(resources: list[Resource], target: Resource, **changes: Any) -> list[Resource]:
    """The resources with `target`'s props changed (a value of None removes the key)."""
    props = {k: v for k, v in {**target.props, **changes}.items() if v is not None}
    return [replace(r, props=props) if r is target else r for r in resources]


def violations(rule: str, inputs: list[Resource], outputs: list[Resource]):
    return run([RULE[rule]], inputs, outputs)


def assert_names(found, resource_name: str):
    assert found, "expected a violation"
    assert any(resource_name in v.message for v in found), [v.message for v in found]


def source_queue(resources: list[Resource]) -> Resource:
    """The queue an event source mapping of the program reads."""
    mapping = first(resources, MAPPING)
    return first(resources, QUEUE, lambda q: q.props.get("arn") == mapping.props["eventSourceArn"])


@pytest.fixture
def prod(stacks):
    return stacks["prod"]


def test_function_without_its_log_group(prod):
    fn = first(prod.outputs, FUNCTION)
    group = first(prod.outputs, LOG_GROUP,
                  lambda g: g.props.get("name") == fn.get("loggingConfig", "logGroup"))
    outputs = [r for r in prod.outputs if r is not group]
    assert_names(violations("lambda-managed-log-group", prod.inputs, outputs), fn.name)


def test_function_log_group_without_retention(prod):
    fn = first(prod.outputs, FUNCTION)
    group = first(prod.outputs, LOG_GROUP,
                  lambda g: g.props.get("name") == fn.get("loggingConfig", "logGroup"))
    outputs = with_props(prod.outputs, group, retentionInDays=None)
    assert_names(violations("lambda-managed-log-group", prod.inputs, outputs), fn.name)


def test_function_without_logging_config(prod):
    fn = first(prod.outputs, FUNCTION)
    outputs = with_props(prod.outputs, fn, loggingConfig=None)
    assert_names(violations("lambda-managed-log-group", prod.inputs, outputs), fn.name)


def test_production_function_without_active_tracing(prod):
    fn = first(prod.inputs, FUNCTION)
    inputs = with_props(prod.inputs, fn, tracingConfig={"mode": "PassThrough"})
    assert_names(violations("lambda-tracing-in-production", inputs, prod.outputs), fn.name)


def test_event_target_without_dead_letter_queue(prod):
    target = first(prod.inputs, EVENT_TARGET)
    inputs = with_props(prod.inputs, target, deadLetterConfig=None)
    assert_names(violations("eventbridge-target-dead-letter", inputs, prod.outputs), target.name)


def test_async_function_without_failure_destination(prod):
    config = first(prod.outputs, INVOKE_CONFIG)
    outputs = [r for r in prod.outputs if r is not config]
    assert_names(violations("async-invoke-failure-destination", prod.inputs, outputs),
                 config.props["functionName"])


def test_async_failure_destination_removed(prod):
    config = first(prod.outputs, INVOKE_CONFIG)
    outputs = with_props(prod.outputs, config, destinationConfig=None)
    assert_names(violations("async-invoke-failure-destination", prod.inputs, outputs),
                 config.props["functionName"])


def test_source_queue_without_redrive(prod):
    queue = source_queue(prod.outputs)
    outputs = with_props(prod.outputs, queue, redrivePolicy=None)
    assert_names(violations("sqs-source-redrive", prod.inputs, outputs), queue.name)


def test_source_queue_with_textual_max_receive_count(prod):
    queue = source_queue(prod.outputs)
    policy = json.loads(queue.props["redrivePolicy"])
    outputs = with_props(prod.outputs, queue,
                         redrivePolicy=json.dumps({**policy, "maxReceiveCount": "5"}))
    assert_names(violations("sqs-source-redrive", prod.inputs, outputs), queue.name)


def test_wildcard_action_in_a_function_policy(prod):
    policy = first(prod.inputs, ROLE_POLICY)
    document = json.loads(policy.props["policy"])
    document["Statement"][0]["Action"] = ["dynamodb:*"]
    inputs = with_props(prod.inputs, policy, policy=json.dumps(document))
    assert_names(violations("iam-no-wildcard-actions", inputs, prod.outputs), policy.name)


def test_star_resource_in_a_function_policy(prod):
    policy = first(prod.inputs, ROLE_POLICY,
                   lambda p: "dynamodb:" in p.props["policy"])
    document = json.loads(policy.props["policy"])
    for statement in document["Statement"]:
        statement["Resource"] = "*"
    inputs = with_props(prod.inputs, policy, policy=json.dumps(document))
    assert_names(violations("iam-star-resource-exceptions", inputs, prod.outputs), policy.name)


def test_production_table_without_recovery_or_protection(prod):
    table = first(prod.inputs, TABLE)
    inputs = with_props(prod.inputs, table, pointInTimeRecovery={"enabled": False},
                        deletionProtectionEnabled=False)
    found = violations("dynamodb-production-protection", inputs, prod.outputs)
    assert len(found) == 2
    assert_names(found, table.name)


def test_unencrypted_queue(prod):
    queue = first(prod.inputs, QUEUE)
    inputs = with_props(prod.inputs, queue, sqsManagedSseEnabled=None, kmsMasterKeyId=None)
    assert_names(violations("sqs-encryption", inputs, prod.outputs), queue.name)


def test_topic_on_the_aws_managed_key(prod):
    topic = first(prod.inputs, TOPIC)
    inputs = with_props(prod.inputs, topic, kmsMasterKeyId="alias/aws/sns")
    assert_names(violations("sns-encryption", inputs, prod.outputs), topic.name)


def test_stage_without_access_logs(prod):
    stage = first(prod.inputs, STAGE)
    inputs = with_props(prod.inputs, stage, accessLogSettings=None)
    assert_names(violations("api-stage-access-logs", inputs, prod.outputs), stage.name)


def test_open_method_or_one_without_its_authorizer(prod):
    method = first(prod.inputs, "aws:apigateway/method:Method",
                   lambda r: r.props.get("httpMethod") == "GET")
    for changes in ({"authorization": "NONE", "authorizerId": None}, {"authorizerId": None}):
        inputs = with_props(prod.inputs, method, **changes)
        assert_names(violations("api-method-authorization", inputs, prod.outputs), method.name)


def test_stack_without_environment_tag(prod):
    outputs = [replace(r, default_tags={"project": "order-platform"}) for r in prod.outputs]
    found = violations("required-tags", prod.inputs, outputs)
    assert len(found) == 1  # once per provider, not once per resource
    assert "environment" in found[0].message
    assert found[0].resource is not None and found[0].resource.name in found[0].message


@pytest.mark.parametrize("typ", ["aws:kms/key:Key", "aws:sqs/queuePolicy:QueuePolicy",
                                 "aws:sns/topicPolicy:TopicPolicy"])
def test_service_principal_without_source_conditions(prod, typ):
    holder = first(prod.inputs, typ, lambda r: '"Service"' in r.props["policy"])
    document = json.loads(holder.props["policy"])
    for statement in document["Statement"]:
        if "Service" in statement.get("Principal", {}):
            statement.pop("Condition", None)
    inputs = with_props(prod.inputs, holder, policy=json.dumps(document))
    assert_names(violations("service-principal-source-condition", inputs, prod.outputs),
                 holder.name)
