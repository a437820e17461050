"""Compensation after the charge: a step that keeps failing after the payment ends the order
REFUNDED (reservation) or CONFIRMED with its email pending (notification), never charged and
stuck."""

import uuid

import pytest

from tests.e2e.orders import execution, final_order, payment_of, place, seed

SENDER = "orders@example.com"  # notifications.senderEmail of the local stack (its default)
# Every retry of a failing step waits up to 31 s (1 + 2 + 4 + 8 + 16, full jitter) for a
# 30 s workflow function timeout, and the refund follows.
FAILURE_TIMEOUT = 150


@pytest.fixture(scope="module")
def shopper(caller):
    return caller(name="Compensation")


def place_one(api, product: str) -> str:
    return place(api, api.user, 20, [{"productId": product, "quantity": 1}])["orderId"]


def test_a_reservation_that_keeps_failing_after_the_charge_is_refunded(shopper, aws, outputs):
    # A corrupt inventory item: the product exists (validation passes, the order is charged)
    # but its stock is not a number, so every reservation transaction fails with an error.
    product = f"p-corrupt-{uuid.uuid4().hex[:6]}"
    aws("dynamodb").put_item(TableName=outputs["InventoryTableName"], Item={
        "productId": {"S": product}, "stock": {"S": "not a number"}})

    order_id = place_one(shopper, product)

    order = final_order(shopper, order_id, FAILURE_TIMEOUT)
    assert order["status"] == "REFUNDED"
    statuses = [entry["status"] for entry in order["history"]]
    assert "PAID" in statuses and "RESERVED" not in statuses
    payment = payment_of(aws, outputs, order_id)
    assert payment["status"]["S"] == "REFUNDED" and payment["refundId"]["S"]
    run = execution(aws, outputs, order_id, FAILURE_TIMEOUT)
    assert (run["status"], run["error"]) == ("FAILED", "OrderProcessingError")


def test_a_refused_confirmation_email_leaves_the_order_confirmed_and_pending(
        shopper, aws, outputs):
    ses = aws("ses")
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 5})
    ses.delete_identity(Identity=SENDER)  # SES now refuses: the sender is not verified
    try:
        order_id = place_one(shopper, product)
        order = final_order(shopper, order_id, FAILURE_TIMEOUT)
    finally:
        ses.verify_email_identity(EmailAddress=SENDER)

    assert order["status"] == "CONFIRMED"
    stored = aws("dynamodb").get_item(TableName=outputs["OrdersTableName"],
                                      Key={"orderId": {"S": order_id}})["Item"]
    assert stored["confirmationEmailPending"]["S"] == "PENDING"
    assert "confirmationMessageId" not in stored
    assert payment_of(aws, outputs, order_id)["status"]["S"] == "CHARGED"
    assert execution(aws, outputs, order_id, FAILURE_TIMEOUT)["status"] == "SUCCEEDED"
