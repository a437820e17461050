"""Compensation after the charge: a step that keeps failing after the payment ends the order
REFUNDED (reservation) or CONFIRMED with its email pending (notification), never charged and
stuck."""

import uuid

import pytest

from tests.waiting import wait_for

FINAL = {"CONFIRMED", "REJECTED", "REFUNDED"}
SENDER = "orders@example.com"  # notifications.senderEmail of the local stack (its default)
# Every retry of a failing step waits up to 31 s (1 + 2 + 4 + 8 + 16, full jitter) for a
# 30 s workflow function timeout, and the refund follows.
FAILURE_TIMEOUT = 150


@pytest.fixture(scope="module")
def shopper(caller):
    return caller(name="Compensation")


def place(api, product: str, amount: int = 20) -> str:
    response = api.post("/orders", json={
        "customerId": api.user["userId"], "items": [{"productId": product, "quantity": 1}],
        "amount": amount, "paymentToken": "tok_visa"})
    assert response.status_code == 201, response.text
    return response.json()["orderId"]


def final_order(api, order_id: str) -> dict:
    def probe():
        order = api.get(f"/orders/{order_id}").json()
        return order if order["status"] in FINAL else None
    return wait_for(probe, timeout=FAILURE_TIMEOUT, what=f"order {order_id} to finish")


def execution(aws, outputs, order_id: str) -> dict:
    arn = outputs["StateMachineArn"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    sfn = aws("stepfunctions")
    return wait_for(lambda: (lambda e: e if e["status"] != "RUNNING" else None)(
        sfn.describe_execution(executionArn=arn)), timeout=FAILURE_TIMEOUT,
        what="execution to end")


def payment_of(aws, outputs, order_id: str) -> dict:
    return aws("dynamodb").get_item(TableName=outputs["PaymentsTableName"],
                                    Key={"orderId": {"S": order_id}})["Item"]


def test_a_reservation_that_keeps_failing_after_the_charge_is_refunded(shopper, aws, outputs):
    # A corrupt inventory item: the product exists (validation passes, the order is charged)
    # but its stock is not a number, so every reservation transaction fails with an error.
    product = f"p-corrupt-{uuid.uuid4().hex[:6]}"
    aws("dynamodb").put_item(TableName=outputs["InventoryTableName"], Item={
        "productId": {"S": product}, "stock": {"S": "not a number"}})

    order_id = place(shopper, product)

    order = final_order(shopper, order_id)
    assert order["status"] == "REFUNDED"
    statuses = [entry["status"] for entry in order["history"]]
    assert "PAID" in statuses and "RESERVED" not in statuses
    payment = payment_of(aws, outputs, order_id)
    assert payment["status"]["S"] == "REFUNDED" and payment["refundId"]["S"]
    run = execution(aws, outputs, order_id)
    assert (run["status"], run["error"]) == ("FAILED", "OrderProcessingError")


def test_a_refused_confirmation_email_leaves_the_order_confirmed_and_pending(
        shopper, aws, outputs):
    ses = aws("ses")
    product = f"p-{uuid.uuid4().hex[:6]}"
    aws("dynamodb").put_item(TableName=outputs["InventoryTableName"], Item={
        "productId": {"S": product}, "stock": {"N": "5"}})
    ses.delete_identity(Identity=SENDER)  # SES now refuses: the sender is not verified
    try:
        order_id = place(shopper, product)
        order = final_order(shopper, order_id)
    finally:
        ses.verify_email_identity(EmailAddress=SENDER)

    assert order["status"] == "CONFIRMED"
    stored = aws("dynamodb").get_item(TableName=outputs["OrdersTableName"],
                                      Key={"orderId": {"S": order_id}})["Item"]
    assert stored["confirmationEmailPending"]["S"] == "PENDING"
    assert "confirmationMessageId" not in stored
    assert payment_of(aws, outputs, order_id)["status"]["S"] == "CHARGED"
    assert execution(aws, outputs, order_id)["status"] == "SUCCEEDED"
