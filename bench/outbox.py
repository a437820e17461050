"""`outbox`: what the transactional outbox costs an order, beside the direct publish it replaced,
on one fresh local cloud in one run.

- *outbox*: POST /orders; create-order only writes, the orders stream -> pipe (enrichment) ->
  bus carries `Order Placed`;
- *direct publish*: the pipe stopped (StopPipe), the benchmark writes the order record exactly as
  create-order does and puts `Order Placed` on the bus itself right after: the path create-order
  took before the outbox (PutEvents after the write).

Latency is the order's own history, write (`createdAt`) -> CONFIRMED, over sequential orders
after a warm-up; throughput is 4 clients placing orders at once, orders over the wall time until
the last is CONFIRMED. The outbox rows run first and the direct rows after StopPipe (the pipe
cannot be started again without redelivering the direct orders), so a change of the machine's
load between the halves shows as a difference: read the `others` load noted under the table.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import datetime, timezone

from bench.cloud import CloudProcess, local_cloud
from bench.orders import Customer, create_customer, place_order, seed_stock, wait_final
from bench.stats import median, ms, percentile
from bench.table import show

SEQUENTIAL = 15
CLIENTS, PER_CLIENT = 4, 5


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        customer = create_customer(cloud)
        product = seed_stock(cloud, 100_000)
        # (an HTTP session of the caller) -> the id of an order placed one way or the other
        outbox = lambda api: place_order(api, customer.user_id, product)  # noqa: E731
        direct = lambda api: _place_direct(cloud, customer, product)  # noqa: E731
        for _ in range(2):  # warm-up: every function on the path has a worker
            wait_final(customer.api, outbox(customer.api))
        rows, loads = [], []
        for name, place in (("outbox (stream -> pipe -> bus)", outbox),
                            ("direct publish (pipe stopped)", direct)):
            if place is direct:
                _stop_pipe(cloud)
                wait_final(customer.api, direct(customer.api))  # the direct path's warm-up
            loads.append(os.getloadavg()[0])
            latencies = [_write_to_confirmed(wait_final(customer.api, place(customer.api)))
                         for _ in range(SEQUENTIAL)]
            rate = _throughput(cloud, customer, place)
            rows.append([name, SEQUENTIAL, ms(median(latencies)),
                         ms(percentile(latencies, 99)), ms(max(latencies)), round(rate, 2)])
        ratio = rows[0][2] / rows[1][2]
        show("outbox: order write -> CONFIRMED, outbox beside the direct publish (one run)",
             ["path", "n", "p50 ms", "p99 ms", "max ms", "orders/s (4 clients)"], rows,
             [f"p50 ratio outbox / direct: {ratio:.2f}; sequential orders after a warm-up, "
              "from the order's createdAt to CONFIRMED in its history;",
              f"orders/s: {CLIENTS * PER_CLIENT} orders by {CLIENTS} clients, until the last "
              "is CONFIRMED; 1-minute load when each half began: "
              + ", ".join(f"{load:.2f}" for load in loads)])


def _place_direct(cloud: CloudProcess, customer: Customer, product: str) -> str:
    """Write the order as create-order does, then publish `Order Placed` as it used to."""
    order_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    items = [{"productId": product, "quantity": 1}]
    cloud.aws("dynamodb").put_item(
        TableName=cloud.outputs["OrdersTableName"],
        ConditionExpression="attribute_not_exists(orderId)",
        Item={"orderId": {"S": order_id}, "customerId": {"S": customer.user_id},
              "customerEmail": {"S": customer.email},
              "items": {"L": [{"M": {"productId": {"S": product}, "quantity": {"N": "1"}}}]},
              "amount": {"N": "25"}, "paymentToken": {"S": "tok_visa"},
              "status": {"S": "PLACED"},
              "history": {"L": [{"M": {"status": {"S": "PLACED"}, "at": {"S": now}}}]},
              "createdDate": {"S": now[:10]}, "createdAt": {"S": now}, "updatedAt": {"S": now}})
    detail = {"orderId": order_id, "customerId": customer.user_id,
              "customerEmail": customer.email, "amount": 25, "items": items, "timestamp": now}
    response = cloud.aws("events").put_events(Entries=[{
        "EventBusName": cloud.outputs["EventBusArn"], "Source": "order.service",
        "DetailType": "Order Placed", "Detail": json.dumps(detail)}])
    if response["FailedEntryCount"]:
        raise RuntimeError(f"PutEvents refused the event: {response['Entries']}")
    return order_id


def _stop_pipe(cloud: CloudProcess) -> None:
    pipes = cloud.aws("pipes")
    [pipe] = [p["Name"] for p in pipes.list_pipes()["Pipes"] if p["Name"].endswith("order-outbox")]
    pipes.stop_pipe(Name=pipe)
    time.sleep(1.5)  # the runner reads the desired state once a second


def _write_to_confirmed(order: dict) -> float:
    if order["status"] != "CONFIRMED":
        raise RuntimeError(f"order ended {order['status']}: {order.get('history')}")
    confirmed = next(h["at"] for h in order["history"] if h["status"] == "CONFIRMED")
    return (datetime.fromisoformat(confirmed) - datetime.fromisoformat(order["createdAt"])
            ).total_seconds()


def _throughput(cloud: CloudProcess, customer: Customer, place) -> float:
    placed: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        api = cloud.api(customer.token)  # one session per thread
        for _ in range(PER_CLIENT):
            order_id = place(api)
            with lock:
                placed.append(order_id)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for order_id in placed:
        _write_to_confirmed(wait_final(customer.api, order_id))
    return len(placed) / (time.perf_counter() - started)
