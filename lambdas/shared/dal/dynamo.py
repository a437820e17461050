"""DynamoDB access shared by the data-access modules: one resource and one Table object per
table per container, and the conversions between stored numbers (`Decimal`) and plain JSON."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lambdas.shared.plumbing.jsonutil import decimal_to_number

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


@functools.cache
def dynamodb() -> Any:
    """The DynamoDB service resource, created on first use and reused by later invocations.

    boto3 is imported here, not with the module: importing it is about half of a handler's
    import time, and the init phase then holds only what the function's first line needs."""
    import boto3

    return boto3.resource("dynamodb")


@functools.cache
def table(name: str) -> Any:
    """The boto3 Table resource of table `name` (a name from the function's settings), made
    once per container: building a Table resource costs more CPU than the GetItem it sends."""
    return dynamodb().Table(name)


def is_condition_failure(error: ClientError) -> bool:
    """True when a conditional write was refused because its condition did not hold."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def cancelled_by_conditions(error: ClientError, count: int) -> list[bool] | None:
    """For a `TransactWriteItems` of `count` entries refused by DynamoDB: which entries' conditions
    failed, in order; None when the transaction failed for another reason (retry it)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons = list(error.response.get("CancellationReasons") or [])
    reasons += [{}] * (count - len(reasons))
    failed = [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]
    return failed if any(failed) else None


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
