"""Order helpers shared by the end-to-end scenarios: stock, placing an order, waiting for its
final status, its workflow execution and its payment record."""

from __future__ import annotations

from tests.waiting import wait_for

FINAL = {"CONFIRMED", "REJECTED", "REFUNDED"}


def seed(aws, outputs, **stock: int) -> None:
    for product, units in stock.items():
        aws("dynamodb").put_item(TableName=outputs["InventoryTableName"], Item={
            "productId": {"S": product}, "stock": {"N": str(units)}})


def place(api, customer, amount, items, token="tok_visa", key=None) -> dict:
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post("/orders", headers=headers, json={
        "customerId": customer["userId"], "items": items, "amount": amount,
        "paymentToken": token})
    assert response.status_code == 201, response.text
    return response.json()


def final_order(api, order_id: str, timeout: float = 90) -> dict:
    def probe():
        order = api.get(f"/orders/{order_id}").json()
        return order if order["status"] in FINAL else None
    return wait_for(probe, timeout=timeout, what=f"order {order_id} to finish")


def execution_arn(outputs, order_id: str) -> str:
    """The order's workflow execution (named after the order)."""
    return outputs["StateMachineArn"].replace(":stateMachine:", ":execution:") + f":{order_id}"


def execution(aws, outputs, order_id: str, timeout: float = 60) -> dict:
    """The order's execution, once it is no longer RUNNING."""
    sfn, arn = aws("stepfunctions"), execution_arn(outputs, order_id)
    return wait_for(lambda: (lambda e: e if e["status"] != "RUNNING" else None)(
        sfn.describe_execution(executionArn=arn)), timeout=timeout, what="execution to end")


def payment_of(aws, outputs, order_id: str) -> dict:
    return aws("dynamodb").get_item(TableName=outputs["PaymentsTableName"],
                                    Key={"orderId": {"S": order_id}})["Item"]
