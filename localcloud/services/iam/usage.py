"""Which grants the calls seen needed: least privilege checked against what the program did.

The enforcer records each request a role was allowed. A *grant* is one (action, resource) pair
of an `Allow` statement of the role's policies (a statement with two actions on three ARNs holds
six grants; its conditions stay with each). A grant was needed when taking it out of its
statement denies at least one recorded request; a grant no recorded request needed is either
unused by what ran (a path no scenario took) or broader than the calls it serves.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Iterator

from .policy import Decision, Request, as_list, evaluate


@dataclass(frozen=True)
class Grant:
    policy: int  # index of the document in the role's policies
    statement: int  # index of the statement in the document
    action: str
    resource: str

    def describe(self, role: str) -> str:
        return f"{role}: {self.action} on {self.resource}"


class GrantUsage:
    def __init__(self) -> None:
        self._allowed: dict[str, set[Request]] = {}
        self._lock = threading.Lock()

    def record(self, role: str, request: Request) -> None:
        with self._lock:
            self._allowed.setdefault(role, set()).add(request)

    def requests(self, role: str) -> set[Request]:
        with self._lock:
            return set(self._allowed.get(role, ()))

    def roles(self) -> list[str]:
        with self._lock:
            return sorted(self._allowed)

    def unneeded(self, role: str, documents: list[dict]) -> list[Grant]:
        """The role's grants that no recorded request of it needed."""
        # Only what the policies allow now (a request recorded before a policy change may not be).
        allowed = [request for request in self.requests(role)
                   if evaluate(documents, request) is Decision.ALLOW]
        return [grant for grant in grants(documents)
                if all(evaluate(without(documents, grant), request) is Decision.ALLOW
                       for request in allowed)]


def grants(documents: list[dict]) -> Iterator[Grant]:
    """Every (action, resource) pair of every Allow statement with `Action` and `Resource`
    (statements with NotAction or NotResource are whole grants of their own: not split)."""
    for p, document in enumerate(documents):
        for s, statement in enumerate(as_list(document.get("Statement", []))):
            if statement.get("Effect") != "Allow" or "Action" not in statement \
                    or "Resource" not in statement:
                continue
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    yield Grant(p, s, action, resource)


def without(documents: list[dict], grant: Grant) -> list[dict]:
    """The documents with one grant taken out of its statement (the rest of it kept)."""
    changed = copy.deepcopy(documents)
    statements = as_list(changed[grant.policy].get("Statement", []))
    changed[grant.policy]["Statement"] = statements
    statement = statements[grant.statement]
    actions, resources = as_list(statement["Action"]), as_list(statement["Resource"])
    # The pairs kept: every other action on every resource, and this action on the others.
    kept = [dict(statement, Action=[a for a in actions if a != grant.action], Resource=resources)]
    kept.append(dict(statement, Action=[grant.action],
                     Resource=[r for r in resources if r != grant.resource]))
    statements[grant.statement:grant.statement + 1] = [s for s in kept
                                                       if s["Action"] and s["Resource"]]
    return changed
