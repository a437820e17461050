"""Faults the platform already makes safe, injected into the local cloud (docs/local-cloud.md,
"Fault injection"), each over a batch of orders, with the invariants checked afterwards:

- every order of the batch reaches a terminal status;
- every CHARGED payment in the store belongs to a CONFIRMED order (else it is REFUNDED);
- no order of the batch is charged twice (PAID at most once in its history; the payments
  table holds one record per order by its key).
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from tests.e2e.orders import FINAL, final_order, payment_of, place, seed
from tests.waiting import wait_for

FUNCTION_PREFIX = "order-platform-local"
BATCH = 4


def admin(endpoint: str, path: str, body: dict | None = None, method: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{endpoint}{path}", data=None if body is None else json.dumps(body).encode(),
        method=method or ("GET" if body is None else "POST"))
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def inject(endpoint):
    """inject(**fault) -> the fault; every fault is cleared after the test."""
    yield lambda **spec: admin(endpoint, "/_localcloud/faults", spec)
    admin(endpoint, "/_localcloud/faults", method="DELETE")


def hits(endpoint: str, fault_id: str) -> int:
    return next(f["hits"] for f in admin(endpoint, "/_localcloud/faults")["faults"]
                if f["id"] == fault_id)


def place_batch(api, aws, outputs, quantity: int = 1) -> list[str]:
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 100})
    return [place(api, api.user, 25, [{"productId": product, "quantity": quantity}])["orderId"]
            for _ in range(BATCH)]


def scan(aws, table: str) -> list[dict]:
    pages = aws("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def assert_invariants(api, aws, outputs, order_ids: list[str]) -> dict[str, str]:
    """The statuses of the batch, once the invariants hold."""
    statuses = {order_id: final_order(api, order_id)["status"] for order_id in order_ids}
    assert set(statuses.values()) <= FINAL
    orders = {o["orderId"]["S"]: o for o in scan(aws, outputs["OrdersTableName"])}
    payments = scan(aws, outputs["PaymentsTableName"])
    for payment in payments:
        order = orders[payment["orderId"]["S"]]
        if payment["status"]["S"] == "CHARGED":
            assert order["status"]["S"] == "CONFIRMED", payment
    for order_id in order_ids:
        history = [entry["M"]["status"]["S"] for entry in orders[order_id]["history"]["L"]]
        assert history.count("PAID") <= 1, history
    return statuses


def test_put_events_failing_delays_orders_but_the_outbox_delivers_them(
        api, aws, outputs, endpoint, inject):
    # The pipe's PutEvents fail for a while; its retries deliver once the fault is spent.
    fault = inject(action="events:PutEvents", count=6)
    order_ids = place_batch(api, aws, outputs)

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"CONFIRMED"}
    assert hits(endpoint, fault["id"]) == 6  # the fault was really in the way


def test_reservation_failing_refunds_every_charged_order(api, aws, outputs, endpoint, inject):
    fault = inject(function=f"{FUNCTION_PREFIX}-reserve-inventory", effect="error")
    order_ids = place_batch(api, aws, outputs)

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"REFUNDED"}
    assert hits(endpoint, fault["id"]) >= BATCH
    for order_id in order_ids:
        assert payment_of(aws, outputs, order_id)["status"]["S"] == "REFUNDED"


def test_a_throttled_enrichment_is_retried_by_the_pipe(api, aws, outputs, endpoint, inject):
    fault = inject(function=f"{FUNCTION_PREFIX}-order-placed-from-stream", effect="throttle",
                   count=3)
    order_ids = place_batch(api, aws, outputs)

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"CONFIRMED"}
    assert hits(endpoint, fault["id"]) == 3


def test_a_worker_killed_mid_invoke_ends_confirmed_or_refunded(api, aws, outputs, endpoint,
                                                              inject):
    # Slow every email (until the test's faults are cleared) so that a notify-customer worker
    # is busy sending the confirmation, then kill it. One slowed call is not enough: the
    # fan-out's send-email, which also calls SES, usually takes it first.
    inject(action="ses:SendEmail", effect="slow", delay_seconds=3)
    order_ids = place_batch(api, aws, outputs)
    function = f"{FUNCTION_PREFIX}-notify-customer"

    def busy_worker():
        status = admin(endpoint, "/_localcloud/status")["functions"].get(function) or {}
        return status.get("busy_pids")
    wait_for(busy_worker, timeout=60, interval=0.05, what="a notify-customer worker running")
    killed = admin(endpoint, "/_localcloud/faults/kill-worker", {"function": function})
    assert killed["killed"]

    assert_invariants(api, aws, outputs, order_ids)


def test_every_event_delivered_three_times_charges_each_order_once(api, aws, outputs):
    # Duplicate delivery: the same `Order Placed` events put on the bus again, as an
    # at-least-once outbox or a redrive may. Each order must still be charged once.
    order_ids = place_batch(api, aws, outputs)
    bus = outputs["EventBusArn"]
    for order_id in order_ids:
        item = aws("dynamodb").get_item(TableName=outputs["OrdersTableName"],
                                        Key={"orderId": {"S": order_id}})["Item"]
        detail = {"orderId": order_id, "customerId": item["customerId"]["S"],
                  "customerEmail": item["customerEmail"]["S"],
                  "amount": float(item["amount"]["N"]),
                  "items": [{"productId": line["M"]["productId"]["S"],
                             "quantity": int(line["M"]["quantity"]["N"])}
                            for line in item["items"]["L"]],
                  "timestamp": item["createdAt"]["S"]}
        entry = {"EventBusName": bus, "Source": "order.service", "DetailType": "Order Placed",
                 "Detail": json.dumps(detail)}
        assert aws("events").put_events(Entries=[entry, entry])["FailedEntryCount"] == 0

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"CONFIRMED"}


def test_ses_refusing_leaves_orders_confirmed_and_the_sweeper_sends_the_emails_later(
        api, aws, outputs, endpoint, inject):
    # SES refuses every email (a new account in the sandbox does) until the fault is cleared.
    fault = inject(action="ses:SendEmail", effect="error", code="MessageRejected", status=400)
    order_ids = place_batch(api, aws, outputs)

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"CONFIRMED"}
    assert hits(endpoint, fault["id"]) >= BATCH
    table = outputs["OrdersTableName"]
    for order_id in order_ids:
        stored = aws("dynamodb").get_item(TableName=table, Key={"orderId": {"S": order_id}})["Item"]
        assert stored["confirmationEmailPending"]["S"] == "PENDING"

    admin(endpoint, "/_localcloud/faults", method="DELETE")
    # As if the stack's stuckAfterMinutes had passed: the scheduled sweeper (every 10 s here)
    # now finds them pending and sends their emails out of band.
    for order_id in order_ids:
        aws("dynamodb").update_item(TableName=table, Key={"orderId": {"S": order_id}},
                                    UpdateExpression="SET updatedAt = :then",
                                    ExpressionAttributeValues={":then": {"S": "2000-01-01T00:00:00+00:00"}})

    def emailed(order_id: str) -> bool:
        stored = aws("dynamodb").get_item(TableName=table, Key={"orderId": {"S": order_id}},
                                          ConsistentRead=True)["Item"]
        return "confirmationEmailPending" not in stored and bool(stored.get("confirmationMessageId"))
    wait_for(lambda: all(emailed(order_id) for order_id in order_ids), timeout=90,
             what="the sweeper to send the pending confirmation emails")
    assert_invariants(api, aws, outputs, order_ids)


def test_payment_timing_out_is_retried_and_charges_each_order_once(api, aws, outputs, endpoint, inject):
    fault = inject(function=f"{FUNCTION_PREFIX}-process-payment", effect="timeout", delay_seconds=2,
                   count=BATCH)
    order_ids = place_batch(api, aws, outputs)

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"CONFIRMED"}
    assert hits(endpoint, fault["id"]) == BATCH


def test_the_order_queue_consumer_failing_is_redelivered_by_the_queue(api, aws, outputs, endpoint, inject):
    # Each failed batch goes back to the queue and is received again after its visibility
    # timeout; maxReceiveCount (3) is not reached.
    fault = inject(function=f"{FUNCTION_PREFIX}-process-order", effect="error", count=1)
    order_ids = place_batch(api, aws, outputs)

    statuses = assert_invariants(api, aws, outputs, order_ids)
    assert set(statuses.values()) == {"CONFIRMED"}
    assert hits(endpoint, fault["id"]) == 1
