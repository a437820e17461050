"""JSON encoding that writes DynamoDB `Decimal`s as JSON numbers (the contract for amounts)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def decimal_to_number(value: Decimal) -> int | float:
    """Integral values stay integers (3, not 3.0); the rest become floats."""
    return int(value) if value == value.to_integral_value() else float(value)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_to_number(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Compact JSON; `Decimal` becomes a number."""
    return json.dumps(value, separators=(",", ":"), default=_default)
