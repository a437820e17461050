"""Data access for the users table (key `userId`). Conditional writes, no read-modify-write.

Besides the users, the table holds one uniqueness item per email address (`userId` =
`EMAIL#<address>`, `ownerId` = the user): written and deleted in one transaction with its user,
so two accounts can never hold the same address and deleting a user frees it.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal.dynamo import cancelled_by_conditions, dynamodb, is_condition_failure, table
from lambdas.shared.plumbing.aws_clients import client_error
from lambdas.shared.plumbing.settings import UsersEnv


def _users() -> Any:
    return table(UsersEnv.load().USERS_TABLE_NAME)


class Taken(Exception):
    """The user id, or the email address, already belongs to an account."""

    def __init__(self, *, user: bool, email: bool) -> None:
        super().__init__("user exists" if user else "email taken")
        self.user, self.email = user, email


def insert(item: dict[str, Any], email_key: str) -> None:
    """Store a new user and claim its email address (`email_key`) in one transaction.

    Raises `Taken` when the userId exists or another account holds the address.
    """
    name = UsersEnv.load().USERS_TABLE_NAME
    writes = [
        {"Put": {"TableName": name, "Item": item,
                 "ConditionExpression": "attribute_not_exists(userId)"}},
        {"Put": {"TableName": name, "Item": {"userId": email_key, "ownerId": item["userId"]},
                 "ConditionExpression": "attribute_not_exists(userId)"}},
    ]
    try:
        dynamodb().meta.client.transact_write_items(TransactItems=writes)
    except client_error() as error:
        failed = cancelled_by_conditions(error, len(writes))
        if failed is None:
            raise
        raise Taken(user=failed[0], email=failed[1]) from None


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
    except client_error() as error:
        if is_condition_failure(error):
            return None
        raise
    return response["Attributes"]


def remove(user_id: str, email_key: str | None) -> bool:
    """Delete a user and free its email address, in one transaction; False if it did not exist.

    The address is freed only while it still names this user (`ownerId`).
    """
    name = UsersEnv.load().USERS_TABLE_NAME
    writes = [{"Delete": {"TableName": name, "Key": {"userId": user_id},
                          "ConditionExpression": "attribute_exists(userId)"}}]
    if email_key:
        writes.append({"Delete": {"TableName": name, "Key": {"userId": email_key},
                                  "ConditionExpression": "ownerId = :owner",
                                  "ExpressionAttributeValues": {":owner": user_id}}})
    try:
        dynamodb().meta.client.transact_write_items(TransactItems=writes)
    except client_error() as error:
        failed = cancelled_by_conditions(error, len(writes))
        if failed is None:
            raise
        if failed[0]:
            return False
        # The address is held by nobody or by someone else: delete the user alone.
        return remove(user_id, None)
    return True
