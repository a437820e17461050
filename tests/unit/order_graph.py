"""Queries on the mocked resource graph shared by the order-side unit tests."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from stack_settings import StackSettings, settings_from_config
from tests.unit.mocks import ACCOUNT, REGION, Graph, evaluate, stack_config

STACKS = ("dev", "prod", "local")

TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUS = "aws:cloudwatch/eventBus:EventBus"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PIPE = "aws:pipes/pipe:Pipe"

# The Pulumi SDK's marker of a secret value in resource inputs.
SECRET_SIG = "4dabf18193072939515e22adb298388d"

# A stack config that differs from every shipped stack where the order side reads it.
CUSTOM_CONFIG = {
    "order-platform:paymentProviderKey": "pk_custom_0123",
    "order-platform:events": json.dumps({"busName": "orders-bus", "highValueThreshold": 250.5,
                                         "targetMaxRetryAttempts": 4,
                                         "outboxMaxRetryAttempts": 42,
                                         "outboxMaxRecordAgeSeconds": 600,
                                         "outboxBatchSize": 3}),
    "order-platform:queue": json.dumps({"maxReceiveCount": 7, "batchSize": 25,
                                        "batchingWindowSeconds": 3, "maximumConcurrency": 9}),
    "order-platform:workflow": json.dumps({"timeoutSeconds": 900}),
    "order-platform:report": json.dumps({"schedule": "rate(6 hours)"}),
}
COMPONENT_PROBE = Path(__file__).with_name("programs") / "order_components.py"


def settings(stack: str) -> StackSettings:
    return settings_from_config(stack_config(stack))


def custom_settings() -> StackSettings:
    return settings_from_config({**stack_config("dev"), **CUSTOM_CONFIG})


@functools.cache
def custom_graph() -> Graph:
    """dev with CUSTOM_CONFIG, through a program that also exports what the order components
    expose to Monitoring (evaluated once per session)."""
    return evaluate("dev", {**stack_config("dev"), **CUSTOM_CONFIG}, program=COMPONENT_PROBE)


def prefix(stack: str) -> str:
    return f"order-platform-{stack}"


def arn(graph: Graph, name: str, typ: str) -> str:
    return graph.named(name, typ).outputs["arn"]


def function(graph: Graph, name: str):
    return graph.named(name, FUNCTION)


def role_id(graph: Graph, function_name: str) -> str:
    return graph.named(f"{function_name}-role", ROLE).outputs["id"]


def role_policies(graph: Graph, function_name: str, include_base: bool = False) -> list[dict]:
    """The parsed inline policies of a function's role (its own logs/X-Ray grant left out)."""
    rid = role_id(graph, function_name)
    return [json.loads(p.inputs["policy"]) for p in graph.of_type(ROLE_POLICY)
            if p.inputs["role"] == rid and (include_base or p.name != f"{function_name}-base")]


def grants(graph: Graph, function_name: str) -> set[tuple[str, str]]:
    """Every (action, resource) pair the function's role allows beyond its logs and traces."""
    return allowed_pairs(role_policies(graph, function_name))


def role_grants(graph: Graph, role_name: str) -> set[tuple[str, str]]:
    """Every (action, resource) pair the inline policies of a role (logical name) allow."""
    rid = graph.named(role_name, ROLE).outputs["id"]
    return allowed_pairs([json.loads(p.inputs["policy"]) for p in graph.of_type(ROLE_POLICY)
                          if p.inputs["role"] == rid])


def allowed_pairs(documents: list[dict]) -> set[tuple[str, str]]:
    pairs = set()
    for document in documents:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    pairs.add((action, resource))
    return pairs


def allowing(actions, *resources: str) -> set[tuple[str, str]]:
    return {(action, resource) for action in actions for resource in resources}


def environment(graph: Graph, function_name: str) -> dict[str, Any]:
    return function(graph, function_name).inputs["environment"]["variables"]


def service_policy(document: str) -> dict:
    """The one statement of a queue or topic policy made by `components.messaging`."""
    statements = json.loads(document)["Statement"]
    assert len(statements) == 1, statements
    return statements[0]


def ses_identity_arn(email: str) -> str:
    return f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{email}"
