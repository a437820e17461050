"""The order as clients see it: read back by id, numbers as numbers, private attributes left out."""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import orders_table
from lambdas.shared.dal.dynamo import from_dynamo
from lambdas.shared.plumbing.caller import Caller
from lambdas.shared.plumbing.errors import NotFound

# Never shown to clients: the token is only for the payment step.
PRIVATE_ATTRIBUTES = {"paymentToken"}


def get_order(caller: Caller, order_id: str) -> dict[str, Any]:
    """The order if it is the caller's (or the caller is an admin); someone else's order is a
    404 like a missing one, so order ids reveal nothing."""
    order = orders_table.get_order(order_id)
    if order is None or not caller.may_act_for(str(order.get("customerId"))):
        raise NotFound(f"Order {order_id} not found")
    return public_view(order)


def public_view(order: dict[str, Any]) -> dict[str, Any]:
    """The order as JSON for clients: numbers as numbers, private attributes left out."""
    return {name: value for name, value in from_dynamo(order).items() if name not in PRIVATE_ATTRIBUTES}
