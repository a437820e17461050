"""Users domain: what creating, reading, updating and deleting a user means."""

from __future__ import annotations

from uuid import uuid4
from typing import Any

from lambdas.shared.dal import users_table
from lambdas.shared.plumbing.clock import iso_utc
from lambdas.shared.plumbing.errors import Conflict, NotFound
from lambdas.shared.schemas.requests import UserCreate, UserUpdate

User = dict[str, Any]


def _not_found(user_id: str) -> NotFound:
    return NotFound(f"User {user_id} not found")


def create_user(request: UserCreate) -> User:
    """Store a new user with a generated id; returns it as stored."""
    now = iso_utc()
    user = {
        "userId": str(uuid4()),
        **request.model_dump(exclude_none=True),
        "createdAt": now,
        "updatedAt": now,
    }
    if not users_table.insert(user):
        # Only on a uuid4 collision: refuse rather than overwrite someone else.
        raise Conflict("User already exists")
    return user


def get_user(user_id: str) -> User:
    user = users_table.fetch(user_id)
    if user is None:
        raise _not_found(user_id)
    return user


def update_user(user_id: str, request: UserUpdate) -> User:
    """Change only the fields the client sent, and refresh updatedAt."""
    user = users_table.update(user_id, {**request.changes(), "updatedAt": iso_utc()})
    if user is None:
        raise _not_found(user_id)
    return user


def delete_user(user_id: str) -> None:
    if not users_table.remove(user_id):
        raise _not_found(user_id)
