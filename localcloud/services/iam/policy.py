"""IAM policy evaluation for one principal's identity policies, as AWS documents it.

AWS's order (IAM User Guide, "Policy evaluation logic", single account, identity policies only):
an explicit `Deny` in any statement that applies wins; else an `Allow` that applies allows;
else the request is implicitly denied. A statement applies when its `Action` (or `NotAction`)
matches the action (case-insensitive, `*` and `?` wildcards), its `Resource` (or `NotResource`)
matches the ARN (case-sensitive, wildcards) and every `Condition` holds.

moto's own `moto.iam.access_control.IAMPolicyStatement` was not used: it has no `NotResource`,
matches actions case-sensitively and turns an `Allow` whose condition fails into a deny.

Conditions: the string and ARN operators (and their `IfExists` forms) over the context keys the
caller supplies; a key absent from the request makes a condition false, except with `IfExists`
or a negated operator (`StringNotEquals`, ...), which then holds, as AWS documents. An operator
not listed here makes its statement not apply (a `Deny` using one would be missed:
`unsupported_operators` lists them for the start-up summary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"  # no statement allows


@dataclass(frozen=True)
class Request:
    """What is evaluated: one action on one resource, with the request's condition keys."""

    action: str  # "dynamodb:PutItem"
    resource: str  # an ARN, or "*" for actions without a resource type
    context: tuple[tuple[str, str], ...] = ()  # (condition key, value), e.g. ses:FromAddress

    def value(self, key: str) -> str | None:
        wanted = key.lower()  # condition keys are case-insensitive
        return next((value for name, value in self.context if name.lower() == wanted), None)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_sensitive: bool) -> re.Pattern:
    # IAM wildcards are * and ? only (fnmatch would also read [..] as a class).
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    return bool(_wildcard(pattern, case_sensitive).match(value))


_STRING_OPERATORS = {
    "StringEquals": lambda want, got: want == got,
    "StringEqualsIgnoreCase": lambda want, got: want.lower() == got.lower(),
    "StringLike": lambda want, got: matches(want, got),
    "ArnEquals": lambda want, got: want == got,
    "ArnLike": lambda want, got: matches(want, got),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase":
            "StringEqualsIgnoreCase", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals",
            "ArnNotLike": "ArnLike"}


def supported_operator(operator: str) -> bool:
    base = operator.removesuffix("IfExists")
    return base in _STRING_OPERATORS or base in _NEGATED


def _condition_holds(operator: str, key: str, wanted: list, request: Request) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = base in _NEGATED
    got = request.value(key)
    if got is None:  # AWS: a missing key matches no value, so a negated operator holds
        return if_exists or negated
    test = _STRING_OPERATORS[_NEGATED.get(base, base)]
    any_match = any(test(str(want), got) for want in wanted)
    return not any_match if negated else any_match


def _conditions_hold(conditions: dict, request: Request) -> bool:
    for operator, keys in conditions.items():
        if not supported_operator(operator):
            return False
        for key, wanted in keys.items():
            if not _condition_holds(operator, key, as_list(wanted), request):
                return False
    return True


def statement_applies(statement: dict, request: Request) -> bool:
    if "NotAction" in statement:
        if any(matches(p, request.action, case_sensitive=False)
               for p in as_list(statement["NotAction"])):
            return False
    elif not any(matches(p, request.action, case_sensitive=False)
                 for p in as_list(statement.get("Action", []))):
        return False
    if "NotResource" in statement:
        if any(matches(p, request.resource) for p in as_list(statement["NotResource"])):
            return False
    elif not any(matches(p, request.resource) for p in as_list(statement.get("Resource", []))):
        return False
    return _conditions_hold(statement.get("Condition") or {}, request)


def evaluate(documents: list[dict], request: Request) -> Decision:
    """The decision of AWS for `request` under these identity policy documents."""
    allowed = False
    for document in documents:
        for statement in as_list(document.get("Statement", [])):
            if not statement_applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def unsupported_operators(documents: list[dict]) -> set[str]:
    """Condition operators in these documents that `evaluate` does not implement."""
    return {operator for document in documents
            for statement in as_list(document.get("Statement", []))
            for operator in (statement.get("Condition") or {})
            if not supported_operator(operator)}

