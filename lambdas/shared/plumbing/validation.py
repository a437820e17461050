"""Pydantic validation errors in words a client (or an order's history) can read.

Its own module, not part of `api.py`: the workflow's validate-order words its reasons the same way
without loading the API resolver.
"""

from __future__ import annotations

import re

from pydantic import ValidationError


def describe_validation_error(error: ValidationError, lead: str = "Invalid request") -> str:
    """A client-facing summary naming each invalid field, e.g. "email: String should match..."."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        if item["type"] == "value_error":
            # Our own validators: show their message without pydantic's "Value error, " prefix.
            message = str(item["ctx"]["error"])
        elif item["type"] in ("model_type", "model_attributes_type", "dict_type"):
            message = "must be a JSON object"
        else:
            # pydantic shows the bounds of a Decimal field as Decimal('10'): show the number.
            message = re.sub(r"Decimal\('([^']*)'\)", r"\1", item["msg"])
        parts.append(f"{field}: {message}")
    return f"{lead}: " + "; ".join(parts)
