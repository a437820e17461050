"""Who is calling: the caller named by the Cognito authorizer's claims, never by the body.

API Gateway's `COGNITO_USER_POOLS` authorizer verifies the ID token and hands its claims to the
function in `requestContext.authorizer.claims`, every value a string (REST API, payload 1.0):
`cognito:groups` is comma-separated (`"admin,ops"`), numbers and dates are text. Handlers ask
`current_caller(app)` and decide with `may_act_for` / `is_admin`; the rules are in
docs/contracts.md ("Who may do what").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lambdas.shared.plumbing.errors import Unauthorized

if TYPE_CHECKING:  # the Pulumi program imports ADMIN_GROUP and has no Powertools
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

ADMIN_GROUP = "admin"


@dataclass(frozen=True)
class Caller:
    sub: str  # the user pool's immutable user id: the caller's userId and customerId
    email: str | None
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    def may_act_for(self, user_id: str) -> bool:
        """True for the caller's own id, and for any id when the caller is an admin."""
        return user_id == self.sub or self.is_admin


def _groups(value: Any) -> frozenset[str]:
    # REST APIs pass a comma-separated string; a list is accepted too (a direct invocation).
    items = value if isinstance(value, list) else str(value or "").split(",")
    return frozenset(str(item).strip() for item in items if str(item).strip())


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The caller of verified claims; Unauthorized when there is no `sub` (no authorizer ran)."""
    sub = str((claims or {}).get("sub") or "").strip()
    if not sub:
        raise Unauthorized("Unauthorized")
    email = (claims or {}).get("email")
    return Caller(sub=sub, email=str(email) if email else None,
                  groups=_groups((claims or {}).get("cognito:groups")))


def current_caller(app: "APIGatewayRestResolver") -> Caller:
    """The caller of the request being handled."""
    context = app.current_event.raw_event.get("requestContext") or {}
    return caller_from_claims((context.get("authorizer") or {}).get("claims"))
