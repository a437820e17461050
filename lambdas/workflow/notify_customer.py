"""notify-customer: emails the customer that the order is confirmed; the order becomes
CONFIRMED. Returns `{notified, messageId}`.

The message id is stored on the order with the status, so a repeat of the step after success
returns it instead of emailing again.

When the email step failed after its retries (the state carries `notificationError`, from the
workflow's Catch), the order is paid and reserved: the sale stands. The order becomes CONFIRMED
without an email, marked `confirmationEmailPending`, and `{notified: false}` is returned; the
stuck-order sweeper invokes this function again later, which then sends the email and clears
the mark.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import orders_table
from lambdas.shared.dal.email_sender import send_email
from lambdas.shared.dal.orders_table import (EMAIL_PENDING, EMAIL_PENDING_ATTRIBUTE,
                                             MESSAGE_ID_ATTRIBUTE)
from lambdas.shared.logic import order_status
from lambdas.shared.logic.order_lines import describe_items
from lambdas.shared.plumbing.observability import count, instrument
from lambdas.shared.schemas.events import WorkflowState, parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

# Where the workflow's Catch puts the error of the failed email step.
FAILURE_KEY = "notificationError"


class OrderNotConfirmable(RuntimeError):
    """The order is in a status from which it cannot be confirmed."""


def confirm(payload: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(payload)
    if payload.get(FAILURE_KEY) is not None:
        return _confirm_without_email(state, payload[FAILURE_KEY])
    order = orders_table.get_order(state.orderId)
    if order is None:
        raise orders_table.OrderNotFound(state.orderId)
    if order["status"] == OrderStatus.CONFIRMED and order.get(MESSAGE_ID_ATTRIBUTE):
        return {"notified": True, "messageId": order[MESSAGE_ID_ATTRIBUTE]}

    message_id = _send_confirmation(state)
    if order["status"] == OrderStatus.CONFIRMED:  # confirmed earlier without the email
        orders_table.record_confirmation_email(state.orderId, message_id)
        count("ConfirmationEmailsSentLate")
    else:
        order_status.transition(state.orderId, OrderStatus.CONFIRMED,
                                extra={MESSAGE_ID_ATTRIBUTE: message_id})
        count("OrdersConfirmed")
    return {"notified": True, "messageId": message_id}


def _send_confirmation(state: WorkflowState) -> str:
    return send_email(
        to=state.customerEmail,
        subject=f"Your order {state.orderId} is confirmed",
        body=(
            f"Good news: your order {state.orderId} is paid and reserved.\n\n"
            f"{describe_items(state.items)}\n\n"
            f"Total: {state.amount}\n"
        ),
    )


def _confirm_without_email(state: WorkflowState, failure: Any) -> dict[str, Any]:
    error = failure.get("Error") if isinstance(failure, dict) else None
    result = order_status.transition(
        state.orderId, OrderStatus.CONFIRMED,
        reason=f"confirmation email not sent ({error or 'unknown error'}): it is sent later",
        extra={EMAIL_PENDING_ATTRIBUTE: EMAIL_PENDING})
    if result.status is not OrderStatus.CONFIRMED:
        raise OrderNotConfirmable(f"order {state.orderId} is {result.status}")
    if result.changed:
        count("ConfirmationEmailsDeferred")
    return {"notified": False, "messageId": None}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return confirm(event)


handler = instrument(_handle, correlation_id_path="orderId")
