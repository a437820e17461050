"""send-email: tells the customer their order was received (target of the order-placed rule).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
One email per order, however often the event is delivered.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.dal.email_sender import send_email
from lambdas.shared.logic.order_lines import describe_items
from lambdas.shared.plumbing.event_targets import order_placed_handler
from lambdas.shared.plumbing.observability import count
from lambdas.shared.schemas.events import OrderPlacedDetail


def email_order_received(order: OrderPlacedDetail) -> dict[str, Any]:
    message_id = send_email(
        to=order.customerEmail,
        subject=f"We received your order {order.orderId}",
        body=(
            f"Thank you for your order {order.orderId}.\n\n"
            f"{describe_items(order.items)}\n\n"
            f"Total: {order.amount}\n"
            "We will email you again when it is confirmed.\n"
        ),
    )
    count("OrderReceivedEmailSent")
    return {"orderId": order.orderId, "messageId": message_id}


handler = order_placed_handler(email_order_received)
