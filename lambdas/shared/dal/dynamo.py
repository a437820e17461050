"""DynamoDB access shared by the handlers: one resource per container, tables named by env."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError

from lambdas.shared.jsonutil import decimal_to_number
from lambdas.shared.settings import require_env


@functools.cache
def dynamodb() -> Any:
    """The DynamoDB service resource, created on first use and reused by later invocations."""
    return boto3.resource("dynamodb")


def table(env_var: str) -> Any:
    """The table whose name is in environment variable `env_var` (e.g. "USERS_TABLE_NAME")."""
    return dynamodb().Table(require_env(env_var))


def is_condition_failure(error: ClientError) -> bool:
    """True when a conditional write was refused because its condition did not hold."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def to_dynamo(value: Any) -> Any:
    """Floats (which DynamoDB rejects) to `Decimal`, recursively; via str so 19.99 stays 19.99."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: to_dynamo(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(item) for item in value]
    return value


def from_dynamo(value: Any) -> Any:
    """`Decimal` back to int or float, recursively, for payloads that must be plain JSON
    (Lambda's own serializer rejects `Decimal`)."""
    if isinstance(value, Decimal):
        return decimal_to_number(value)
    if isinstance(value, dict):
        return {key: from_dynamo(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [from_dynamo(item) for item in value]
    return value
