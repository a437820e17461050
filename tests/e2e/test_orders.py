"""Scenarios b–e and i: orders through the whole platform, observed over HTTP and AWS APIs."""

import json
import uuid
from decimal import Decimal

import pytest

from tests.e2e.helpers import receive_all, subscribe_queue, tap_bus
from tests.e2e.orders import execution, final_order, place, seed
from tests.waiting import wait_for

@pytest.fixture(scope="module")
def watch(aws, outputs):
    """Queues watching the bus, the alert topic and the warehouse topic."""
    sqs, sns = aws("sqs"), aws("sns")
    bus_name = outputs["EventBusArn"].split("/")[-1]
    return {
        "bus": tap_bus(aws("events"), sqs, bus_name),
        "alerts": subscribe_queue(sns, sqs, outputs["AlertTopicArn"]),
        "warehouse": subscribe_queue(sns, sqs, outputs["WarehouseTopicArn"]),
    }


@pytest.fixture(scope="module")
def grace(caller):
    return caller("grace@example.com", name="Grace")


@pytest.fixture(scope="module")
def api(grace):
    """Orders are placed and read by their customer."""
    return grace


@pytest.fixture(scope="module")
def customer(grace):
    return grace.user


def stock_of(aws, outputs, product: str) -> int:
    item = aws("dynamodb").get_item(TableName=outputs["InventoryTableName"],
                                    Key={"productId": {"S": product}}).get("Item")
    return int(item["stock"]["N"]) if item and "stock" in item else 0


def test_small_order_is_confirmed_with_email_warehouse_and_stock(api, aws, outputs, customer,
                                                                  watch):
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 5})
    sent_before = aws("ses").get_send_quota()["SentLast24Hours"]

    order = place(api, customer, 50, [{"productId": product, "quantity": 2}])
    assert order["status"] == "PLACED"

    done = final_order(api, order["orderId"])
    assert done["status"] == "CONFIRMED"
    statuses = [h["status"] for h in done["history"]]
    assert statuses == ["PLACED", "PROCESSING", "VALIDATED", "PAID", "RESERVED", "CONFIRMED"]
    run = execution(aws, outputs, order["orderId"])
    assert run["status"] == "SUCCEEDED"
    assert stock_of(aws, outputs, product) == 3

    # The execution's history is in the workflow's vended log group (level ALL), without the
    # execution data: the payment token never reaches a log.
    group = f"/aws/vendedlogs/states/{outputs['StateMachineArn'].split(':')[-1]}"
    history = aws("stepfunctions").get_execution_history(executionArn=run["executionArn"])[
        "events"]
    logged = aws("logs").filter_log_events(
        logGroupName=group, filterPattern=f'{{ $.execution_arn = "{run["executionArn"]}" }}')[
        "events"]
    assert [json.loads(e["message"])["type"] for e in logged] == [e["type"] for e in history]
    assert not any("tok_visa" in e["message"] for e in logged)

    # Fan-out: confirmation and order emails sent, warehouse told about this order.
    wait_for(lambda: aws("ses").get_send_quota()["SentLast24Hours"] >= sent_before + 2,
             what="emails")
    warehouse = wait_for(lambda: [m for m in receive_all(aws("sqs"), watch["warehouse"])
                                  if m["Json"] and m["Json"].get("orderId") == order["orderId"]],
                         what="warehouse notification")
    assert len(warehouse) == 1
    # update-inventory records demand per product.
    item = aws("dynamodb").get_item(TableName=outputs["InventoryTableName"],
                                    Key={"productId": {"S": product}})["Item"]
    wait_for(lambda: "demand" in aws("dynamodb").get_item(
        TableName=outputs["InventoryTableName"], Key={"productId": {"S": product}})["Item"],
        what="demand recorded")
    assert item["productId"]["S"] == product

    # No high-value alert for a small order.
    alerts = receive_all(aws("sqs"), watch["alerts"])
    assert not [m for m in alerts if order["orderId"] in m["Body"]]


def test_high_value_order_alerts(api, aws, outputs, customer, watch):
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 1})
    order = place(api, customer, 1500, [{"productId": product, "quantity": 1}])
    alerts = wait_for(lambda: [m for m in receive_all(aws("sqs"), watch["alerts"])
                               if order["orderId"] in m["Body"]], what="high-value alert")
    assert alerts[0]["Json"]["detail"]["amount"] == 1500
    assert final_order(api, order["orderId"])["status"] == "CONFIRMED"


def test_out_of_stock_is_refunded(api, aws, outputs, customer):
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 1})
    order = place(api, customer, 80, [{"productId": product, "quantity": 3}])
    done = final_order(api, order["orderId"])
    assert done["status"] == "REFUNDED"
    run = execution(aws, outputs, order["orderId"])
    assert run["status"] == "FAILED" and run["error"] == "InventoryError"
    payment = aws("dynamodb").get_item(TableName=outputs["PaymentsTableName"],
                                       Key={"orderId": {"S": order["orderId"]}})["Item"]
    assert payment["status"]["S"] == "REFUNDED" and payment["refundId"]["S"]
    assert stock_of(aws, outputs, product) == 1  # never negative, nothing taken


def test_declined_payment_is_rejected(api, aws, outputs, customer):
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 4})
    order = place(api, customer, 20, [{"productId": product, "quantity": 1}],
                  token="tok_declined")
    done = final_order(api, order["orderId"])
    assert done["status"] == "REJECTED"
    run = execution(aws, outputs, order["orderId"])
    assert run["status"] == "FAILED" and run["error"] == "OrderProcessingError"
    assert stock_of(aws, outputs, product) == 4


def test_same_idempotency_key_twice_gives_one_order_and_one_event(api, aws, outputs, customer,
                                                                   watch):
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 10})
    key = str(uuid.uuid4())
    first = place(api, customer, 30, [{"productId": product, "quantity": 1}], key=key)
    second = place(api, customer, 30, [{"productId": product, "quantity": 1}], key=key)
    assert first["orderId"] == second["orderId"]
    final_order(api, first["orderId"])
    events = [m for m in receive_all(aws("sqs"), watch["bus"], wait=2)
              if m["Json"]["detail"].get("orderId") == first["orderId"]]
    assert len(events) == 1
    orders = aws("dynamodb").scan(
        TableName=outputs["OrdersTableName"],
        FilterExpression="customerId = :c AND amount = :a",
        ExpressionAttributeValues={":c": {"S": customer["userId"]}, ":a": {"N": "30"}})
    assert orders["Count"] == 1
    assert Decimal(orders["Items"][0]["amount"]["N"]) == 30
