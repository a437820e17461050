"""Data access for the users table (key `userId`). Conditional writes, no read-modify-write."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lambdas.shared.dal.dynamo import is_condition_failure, table
from lambdas.shared.plumbing.settings import UsersEnv


def _users() -> Any:
    return table(UsersEnv.load().USERS_TABLE_NAME)


def insert(item: dict[str, Any]) -> bool:
    """Store a new user; False if that userId already exists."""
    try:
        _users().put_item(Item=item, ConditionExpression="attribute_not_exists(userId)")
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def fetch(user_id: str) -> dict[str, Any] | None:
    return _users().get_item(Key={"userId": user_id}).get("Item")


def update(user_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Set the given attributes on an existing user; the updated user, or None if it is absent."""
    # Placeholders for every name: `name` is a DynamoDB reserved word.
    names = {f"#f{index}": field for index, field in enumerate(changes)}
    values = {f":v{index}": value for index, value in enumerate(changes.values())}
    assignments = ", ".join(f"#f{index} = :v{index}" for index in range(len(changes)))
    try:
        response = _users().update_item(
            Key={"userId": user_id},
            UpdateExpression=f"SET {assignments}",
            ConditionExpression="attribute_exists(userId)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if is_condition_failure(error):
            return None
        raise
    return response["Attributes"]


def remove(user_id: str) -> bool:
    """Delete a user; False if it did not exist."""
    try:
        _users().delete_item(Key={"userId": user_id}, ConditionExpression="attribute_exists(userId)")
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
