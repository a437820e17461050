"""The one rule for ids and keys that come from outside (path ids, ids in bodies, events and the
workflow state, the Idempotency-Key header), checked before they reach any AWS call.

Why: DynamoDB refuses a key over 2048 bytes with a ValidationException (a 500 on AWS, where
moto says nothing), and an id with control characters or spaces is never one we issued. The
ids we issue are UUIDs; product ids are chosen by whoever seeds the stock, within the same rule.

Imports nothing but pydantic: `lambdas/shared/models.py` (for components/) reads these types
through the request models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema


@dataclass(frozen=True)
class KeyRule:
    """How long a key may be and which characters it may have; one message for every place."""

    max_length: int
    pattern: str  # a full-match regex, also the API Gateway model's `pattern`
    charset: str  # the same charset in words, for the message

    @property
    def message(self) -> str:
        return f"must be 1 to {self.max_length} characters: {self.charset}"

    def problem(self, value: Any) -> str | None:
        """None when `value` is a valid key, else the message (the field name is the caller's)."""
        # Length first, so a huge value is refused before the pattern looks at it.
        if isinstance(value, str) and 0 < len(value) <= self.max_length and re.fullmatch(self.pattern, value):
            return None
        return self.message

    def check(self, value: str) -> str:
        if self.problem(value):
            raise ValueError(self.message)
        return value

    def annotated(self) -> Any:
        """The pydantic type of a field under this rule; its JSON Schema carries the same limits."""
        return Annotated[
            str,
            AfterValidator(self.check),
            WithJsonSchema({"type": "string", "minLength": 1, "maxLength": self.max_length, "pattern": self.pattern}),
        ]


# userId, orderId, customerId, productId: ASCII letters, digits and a few separators.
ENTITY_ID = KeyRule(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", charset="letters, digits, '.', '_', ':', '-'")
# Idempotency-Key: any visible ASCII (no spaces or control characters), as a header carries it.
IDEMPOTENCY_KEY = KeyRule(max_length=128, pattern=r"^[!-~]+$", charset="visible ASCII, no spaces")

EntityId = ENTITY_ID.annotated()
