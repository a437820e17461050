"""Order intake: placing an order, once per Idempotency-Key.

Placing an order: the customer is the caller (a body naming another customer is refused, 403)
and must be registered; the order is written as PLACED, and that one write is all: the orders
table's stream (the outbox) carries it to the order bus as `Order Placed`, so an order is never
stored without its event. With an Idempotency-Key the order id is derived from the key and the
customer, and Powertools idempotency replays the first response: a retry ends in the same
single order.
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.shared.dal import orders_table, users_table
from lambdas.shared.dal.dynamo import from_dynamo
from lambdas.shared.logic import order_rules
from lambdas.shared.logic.order_view import public_view
from lambdas.shared.plumbing.caller import Caller
from lambdas.shared.plumbing.errors import BadRequest, Conflict, DomainError, Forbidden
from lambdas.shared.plumbing.idempotency import idempotent_on
from lambdas.shared.plumbing.observability import count, get_logger
from lambdas.shared.schemas.ids import IDEMPOTENCY_KEY
from lambdas.shared.schemas.requests import OrderCreate

# Namespace of the order ids derived from (customer, Idempotency-Key).
ORDER_ID_NAMESPACE = uuid.UUID("6f1c3f0e-8d2a-4f6b-9a57-0c4e2b8d9e31")


class Unprocessable(DomainError):
    """Well-formed, but cannot be processed (422)."""


class UnknownCustomer(Unprocessable):
    pass


def place_order(caller: Caller, request: OrderCreate, idempotency_key: str | None,
                lambda_context: LambdaContext | None) -> dict:
    """Place the caller's order and return it as the client sees it."""
    if request.customerId not in (None, caller.sub):
        # Admins too: an order is placed by its customer (admins may only read others').
        raise Forbidden("You may only place orders for yourself")
    request = request.model_copy(update={"customerId": caller.sub})
    over_limit = order_rules.amount_over_limit(request.amount)
    if over_limit:
        raise BadRequest(f"Invalid request: {over_limit}")
    # Python values, not JSON: the amount stays a Decimal (Powertools hashes it as its text).
    data = {"idempotencyKey": idempotency_key, "request": request.model_dump()}
    if idempotency_key is None:
        return _place(data=data)
    problem = IDEMPOTENCY_KEY.problem(idempotency_key)
    if problem:
        raise BadRequest(f"Invalid request: Idempotency-Key: {problem}")
    try:
        return _place_once(data=data, lambda_context=lambda_context)
    except IdempotencyValidationError as error:
        raise Unprocessable("Idempotency-Key was already used with a different request") from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("A request with this Idempotency-Key is in progress; retry later") from error


def _place(*, data: dict[str, Any]) -> dict[str, Any]:
    request = OrderCreate.model_validate(data["request"])
    key = data["idempotencyKey"]
    customer = users_table.fetch(request.customerId)
    if customer is None:
        raise UnknownCustomer(f"Customer {request.customerId} does not exist")

    order_id = str(uuid.uuid5(ORDER_ID_NAMESPACE, f"{request.customerId}\n{key}") if key else uuid.uuid4())
    get_logger().set_correlation_id(order_id)
    try:
        order = orders_table.insert_placed(
            order_id=order_id,
            customer_id=request.customerId,
            customer_email=customer["email"],
            items=[item.model_dump() for item in request.items],
            amount=request.amount,
            payment_token=request.paymentToken,
        )
        count("OrdersPlaced")
    except orders_table.OrderExists:
        # Same key and customer as an earlier attempt: that attempt's order, if it matches.
        order = orders_table.get_order(order_id) or {}
        if not _same_request(order, request):
            raise Unprocessable("Idempotency-Key was already used with a different request") from None

    return public_view(order)


# The same function, run once per (Idempotency-Key, customer); a repeat must send the same body.
_place_once = idempotent_on("[idempotencyKey, request.customerId]", payload_jmespath="request")(_place)


def _same_request(order: dict[str, Any], request: OrderCreate) -> bool:
    return (
        order.get("customerId") == request.customerId
        and order.get("paymentToken") == request.paymentToken
        and order.get("amount") == request.amount
        and from_dynamo(order.get("items")) == [item.model_dump() for item in request.items]
    )
