"""EventBridge event patterns of the order bus, as JSON text.

The source and detail type are those create-order publishes (docs/contracts.md); they are not
imported from `lambdas/shared/events.py`, which needs Powertools, a test-only dependency here.
"""

from __future__ import annotations

import json

ORDER_SOURCE = "order.service"
ORDER_PLACED = "Order Placed"


def json_number(value: float) -> int | float:
    """1000.0 -> 1000: the pattern reads as written; both are JSON numbers."""
    return int(value) if float(value).is_integer() else value


def order_placed_pattern(**detail: object) -> str:
    """`Order Placed` events, optionally filtered on their `detail` (content filters)."""
    pattern: dict = {"source": [ORDER_SOURCE], "detail-type": [ORDER_PLACED]}
    if detail:
        pattern["detail"] = detail
    return json.dumps(pattern)
