"""What makes an order's content acceptable, for both places that judge it: create-order (at
the API) and validate-order (in the workflow, which must not trust its input: an execution can
be started by hand, and a stored order may predate a rule).

The content rules are the request model's (`OrderCreate`: ids, quantities, exact amount, its
ceiling); the per-stack limit is `MAX_ORDER_AMOUNT`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from lambdas.shared.plumbing.settings import OrderLimitsEnv
from lambdas.shared.plumbing.validation import describe_validation_error
from lambdas.shared.schemas.requests import OrderCreate

# The fields of the workflow state that the client sent in the request body.
REQUEST_FIELDS = tuple(OrderCreate.model_fields)


def amount_over_limit(amount: Decimal) -> str | None:
    """The message when `amount` exceeds the stack's `MAX_ORDER_AMOUNT`, else None."""
    limit = OrderLimitsEnv.load().MAX_ORDER_AMOUNT
    return f"amount: must be at most {limit}" if amount > limit else None


def content_problem(order: dict[str, Any], lead: str) -> str | None:
    """Why the request part of `order` (a workflow state or a stored order) breaks the API's
    rules, as "<lead>: <field>: <message>", or None when it is acceptable."""
    try:
        request = OrderCreate.model_validate({name: order[name] for name in REQUEST_FIELDS if name in order})
    except ValidationError as error:
        return describe_validation_error(error, lead)
    problem = amount_over_limit(request.amount)
    return f"{lead}: {problem}" if problem else None
