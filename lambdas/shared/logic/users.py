"""Users domain: what registering, reading, updating and deleting a user means, and who may.

A user is the caller's profile, stored under the caller's `sub` with the email of their token.
Callers act on their own record only; `admin` on any (docs/contracts.md, "Who may do what").
One account per email address: see `dal.users_table`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdas.shared.dal import users_table
from lambdas.shared.plumbing.caller import Caller
from lambdas.shared.plumbing.clock import iso_utc
from lambdas.shared.plumbing.errors import BadRequest, Conflict, Forbidden, NotFound
from lambdas.shared.schemas.email_address import InvalidEmail, normalized_email, uniqueness_key

if TYPE_CHECKING:  # the handlers that parse these import them; reading a user needs none
    from lambdas.shared.schemas.requests import UserCreate, UserUpdate

User = dict[str, Any]
# Keys of the table's uniqueness items, which are never users.
RESERVED_PREFIX = "EMAIL#"


def _not_found(user_id: str) -> NotFound:
    return NotFound(f"User {user_id} not found")


def _authorize(caller: Caller, user_id: str) -> None:
    """403 for another caller's record (not 404: the id is the caller's to know), unless admin."""
    if not caller.may_act_for(user_id):
        raise Forbidden("You may only access your own user")
    if user_id.startswith(RESERVED_PREFIX):
        raise _not_found(user_id)


def create_user(caller: Caller, request: UserCreate) -> User:
    """Register the caller's profile under their `sub`, with the email of their token."""
    if not caller.email:
        raise BadRequest("Invalid request: email: the token carries no email claim")
    try:
        email = normalized_email(caller.email)
    except InvalidEmail as error:
        raise BadRequest(f"Invalid request: email: {error}") from None
    now = iso_utc()
    user = {"userId": caller.sub, "email": email, **request.model_dump(exclude_none=True),
            "createdAt": now, "updatedAt": now}
    try:
        users_table.insert(user, uniqueness_key(email))
    except users_table.Taken as taken:
        raise Conflict("User already exists" if taken.user else
                       f"Email {email} is already registered to another account") from None
    return user


def get_user(caller: Caller, user_id: str) -> User:
    _authorize(caller, user_id)
    user = users_table.fetch(user_id)
    if user is None:
        raise _not_found(user_id)
    return user


def update_user(caller: Caller, user_id: str, request: UserUpdate) -> User:
    """Change only the fields the client sent, and refresh updatedAt."""
    _authorize(caller, user_id)
    user = users_table.update(user_id, {**request.changes(), "updatedAt": iso_utc()})
    if user is None:
        raise _not_found(user_id)
    return user


def delete_user(caller: Caller, user_id: str) -> None:
    """Delete the user and free their email address for a new account."""
    _authorize(caller, user_id)
    user = users_table.fetch(user_id)
    if user is None or not users_table.remove(user_id, _email_key(user)):
        raise _not_found(user_id)


def _email_key(user: User) -> str | None:
    return uniqueness_key(user["email"]) if user.get("email") else None
