"""send-email: tells the customer their order was received (target of the order-placed rule).

Invoked asynchronously: errors are raised, so Lambda's retries and on-failure destination apply.
One email per order, however often the event is delivered.
"""

from __future__ import annotations

from typing import Any

from lambdas.shared.events import OrderPlacedDetail, parse_order_placed
from lambdas.shared.observability import count, instrument
from lambdas.shared.orders_email import describe_items, send_email
from lambdas.shared.orders_idempotency import idempotent_on


@idempotent_on("orderId")
def email_order_received(*, data: dict[str, Any]) -> dict[str, Any]:
    order = OrderPlacedDetail.model_validate(data)
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


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    placed = parse_order_placed(event)
    return email_order_received(data=placed.detail.model_dump(mode="json"), lambda_context=context)


handler = instrument(_handle, correlation_id_path="detail.orderId")
