"""notify-customer: emails the customer that the order is confirmed; the order becomes
CONFIRMED. Returns `{notified: true, messageId}`.

The message id is stored on the order with the status, so a repeat of the step after success
returns it instead of emailing again.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal import orders_table
from lambdas.shared.dal.email_sender import send_email
from lambdas.shared.logic import order_status
from lambdas.shared.logic.order_lines import describe_items
from lambdas.shared.plumbing.observability import count, instrument
from lambdas.shared.schemas.events import parse_workflow_state
from lambdas.shared.schemas.orders import OrderStatus

MESSAGE_ID_ATTRIBUTE = "confirmationMessageId"


def confirm(payload: dict[str, Any]) -> dict[str, Any]:
    state = parse_workflow_state(payload)
    order = orders_table.get_order(state.orderId)
    if order is None:
        raise orders_table.OrderNotFound(state.orderId)
    if order["status"] == OrderStatus.CONFIRMED:
        return {"notified": True, "messageId": order.get(MESSAGE_ID_ATTRIBUTE)}

    message_id = send_email(
        to=state.customerEmail,
        subject=f"Your order {state.orderId} is confirmed",
        body=(
            f"Good news: your order {state.orderId} is paid and reserved.\n\n"
            f"{describe_items(state.items)}\n\n"
            f"Total: {state.amount}\n"
        ),
    )
    order_status.transition(state.orderId, OrderStatus.CONFIRMED, extra={MESSAGE_ID_ATTRIBUTE: message_id})
    count("OrdersConfirmed")
    return {"notified": True, "messageId": message_id}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return confirm(event)


handler = instrument(_handle, correlation_id_path="orderId")
