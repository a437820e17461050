"""`scaling`: the cost of a request as the data grows, and `up` against the program's size.

Data: two fresh local clouds run side by side, one seeded small and one large (written straight
into the tables, as a restore would), and every row takes turns between them
(`bench.auth.interleaved`), so the machine's load falls on both sizes alike; the ratio is
large / small, from the same run.
- GET /users/{id} (p50) with 10 vs 10,000 users, and a raw GetItem of the same item.
- An order: POST /orders and POST -> CONFIRMED with 0 vs 10,000 earlier orders of the same
  customer (seeded CONFIRMED: they start no workflow).
- The daily report of a day with 10 vs 10,000 orders: a synchronous invoke of daily-report, the
  pages of its index query, and Max Memory Used of its worker (Lambda's REPORT line), which stays
  flat only if the function pages through the query instead of loading the day at once. The
  order count it returns must be the number seeded.
Up: the synthetic program in bench/scaling_program (groups of five resources) deployed at
several sizes, each on a fresh cloud, the sizes in turn three times (fastest kept), beside the
least-squares line through them: linear growth shows as measured / fit close to 1.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from bench.auth import interleaved
from bench.cloud import ROOT, CloudProcess, local_cloud
from bench.orders import Customer, create_customer, place_order, seed_stock, wait_final
from bench.stats import ms
from bench.table import show

SIZES = {"small": 10, "large": 10_000}
GETS = 100
ORDERS = 10
REPORT_DAY = "2026-01-01"  # a day no real order of the run falls on
GROUPS = (10, 20, 40, 80, 160)  # of the synthetic program; five resources each
ROUNDS = 3
BATCH = 25  # DynamoDB BatchWriteItem's limit
_MAX_MEMORY = re.compile(r"Max Memory Used: (\d+) MB")


def run() -> None:
    with ExitStack() as stack:
        clouds = {size: stack.enter_context(local_cloud()) for size in SIZES}
        _data_rows(clouds)
    _up_rows()


# -- data growth ------------------------------------------------------------------------------

def _data_rows(clouds: dict[str, CloudProcess]) -> None:
    customers, products = {}, {}
    for size, cloud in clouds.items():
        customer, product = create_customer(cloud), seed_stock(cloud, 100_000)
        wait_final(customer.api, place_order(customer.api, customer.user_id, product))  # warm
        count = SIZES[size]
        _seed(cloud, cloud.outputs["UsersTableName"], [_user(i) for i in range(count)])
        _seed(cloud, cloud.outputs["OrdersTableName"],
              [_order(customer.user_id, REPORT_DAY, i) for i in range(count)])
        customers[size], products[size] = customer, product
    for cloud in clouds.values():
        cloud.wait_idle(timeout=120)  # the orders table's stream reads the seeded inserts

    calls = {}
    for size, cloud in clouds.items():
        customer, table = customers[size], cloud.outputs["UsersTableName"]
        calls[f"GET /users/{{id}} {size}"] = _get(customer)
        calls[f"raw GetItem {size}"] = _raw_get(cloud, table, customer.user_id)
    gets = {row[0]: row[2] for row in interleaved(calls, requests=GETS, warm_up=10)}
    orders = {size: {"post": [], "confirmed": []} for size in SIZES}
    for _ in range(ORDERS):  # taking turns too
        for size in SIZES:
            _order_once(customers[size], products[size], orders[size])
    reports = {size: _report(cloud, REPORT_DAY) for size, cloud in clouds.items()}

    rows = []
    for label, key in (("GET /users/{id} p50 ms", "GET /users/{id}"),
                       ("raw GetItem of that user p50 ms", "raw GetItem")):
        small, large = gets[f"{key} small"], gets[f"{key} large"]
        rows.append([label, small, large, large / small])
    for label, key in (("POST /orders p50 ms", "post"), ("POST -> CONFIRMED p50 ms", "confirmed")):
        small, large = (ms(sorted(orders[size][key])[ORDERS // 2]) for size in SIZES)
        rows.append([label, small, large, large / small])
    small, large = reports["small"], reports["large"]
    rows.append(["daily report: orders counted", small["count"], large["count"], None])
    rows.append(["  query pages", small["pages"], large["pages"], None])
    rows.append(["  invoke ms", small["ms"], large["ms"], large["ms"] / small["ms"]])
    rows.append(["  ms per order beyond the small day", None,
                 (large["ms"] - small["ms"]) / (large["count"] - small["count"]), None])
    rows.append(["  Max Memory Used MB", small["memory"], large["memory"],
                 large["memory"] / small["memory"]])
    small_n, large_n = SIZES["small"], SIZES["large"]
    show(f"scaling: requests as data grows (two clouds side by side: {small_n:,} vs {large_n:,} "
         f"users / earlier orders / orders of the day; {GETS} GETs and {ORDERS} orders each)",
         ["row", f"at {small_n:,}", f"at {large_n:,}", "ratio"], rows,
         notes=["GET and the order path read by key and query one day's index partition: "
                "their cost should not depend on the table's size.",
                "The report's time grows with the day's orders (it reads them all); its memory "
                "does not if it pages through the byCreatedDate query.",
                "Max Memory Used is the worker's peak (the first report on a fresh worker)."])


def _user(index: int) -> dict:
    user_id = f"bench-user-{index:05d}"
    return {"userId": {"S": user_id}, "name": {"S": f"User {index}"},
            "email": {"S": f"{user_id}@example.com"}, "createdAt": {"S": "2026-01-01T00:00:00Z"}}


def _order(customer_id: str, day: str, index: int) -> dict:
    at = f"{day}T00:00:00.000000Z"
    return {"orderId": {"S": f"bench-{day}-{index:05d}"}, "customerId": {"S": customer_id},
            "customerEmail": {"S": "bench@example.com"}, "amount": {"N": "25"},
            "items": {"L": [{"M": {"productId": {"S": "p-seeded"}, "quantity": {"N": "1"}}}]},
            "status": {"S": "CONFIRMED"}, "createdDate": {"S": day}, "createdAt": {"S": at},
            "updatedAt": {"S": at},
            "history": {"L": [{"M": {"status": {"S": "CONFIRMED"}, "at": {"S": at}}}]}}


def _seed(cloud: CloudProcess, table: str, items: list[dict]) -> None:
    """Write the items with BatchWriteItem, four batches at a time, until none is unprocessed."""
    dynamodb = cloud.aws("dynamodb")

    def write(batch: list[dict]) -> None:
        requests = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while requests:
            requests = dynamodb.batch_write_item(RequestItems=requests)["UnprocessedItems"]

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, [items[i:i + BATCH] for i in range(0, len(items), BATCH)]))


def _get(customer: Customer):
    return lambda: customer.api.get(f"/users/{customer.user_id}").raise_for_status()


def _raw_get(cloud: CloudProcess, table: str, user_id: str):
    dynamodb = cloud.aws("dynamodb")
    return lambda: dynamodb.get_item(TableName=table, Key={"userId": {"S": user_id}})


def _order_once(customer: Customer, product: str, into: dict) -> None:
    started = time.perf_counter()
    order_id = place_order(customer.api, customer.user_id, product)
    into["post"].append(time.perf_counter() - started)
    order = wait_final(customer.api, order_id)
    if order["status"] != "CONFIRMED":
        raise RuntimeError(f"order ended {order['status']}: {order.get('history')}")
    into["confirmed"].append(time.perf_counter() - started)


def _report(cloud: CloudProcess, day: str) -> dict:
    function = cloud.function("daily-report")
    started = time.perf_counter()
    response = cloud.aws("lambda").invoke(FunctionName=function,
                                          Payload=json.dumps({"reportDate": day}))
    elapsed = time.perf_counter() - started
    report = json.loads(response["Payload"].read())
    if "FunctionError" in response:
        raise RuntimeError(f"daily-report failed: {report}")
    return {"count": report["orderCount"], "ms": ms(elapsed), "pages": _pages(cloud, day),
            "memory": _max_memory(cloud, function)}


def _pages(cloud: CloudProcess, day: str) -> int:
    """Pages of the report's query (the same index and key, read here)."""
    paginator = cloud.aws("dynamodb").get_paginator("query")
    return sum(1 for _ in paginator.paginate(
        TableName=cloud.outputs["OrdersTableName"], IndexName="byCreatedDate",
        KeyConditionExpression="createdDate = :d", ExpressionAttributeValues={":d": {"S": day}},
        ProjectionExpression="orderId"))


def _max_memory(cloud: CloudProcess, function: str) -> int:
    """Max Memory Used of the function's last REPORT line (logs arrive shortly after)."""
    logs = cloud.aws("logs")
    deadline = time.monotonic() + 10
    while True:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}",
                                        filterPattern='"Max Memory Used"')["events"]
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    latest = max(events, key=lambda event: event["timestamp"])["message"] if events else ""
    found = _MAX_MEMORY.search(latest)
    if not found:
        raise RuntimeError(f"no REPORT line of {function} in its log group")
    return int(found.group(1))


# -- up against the number of resources ---------------------------------------------------------

def _up_rows() -> None:
    fastest: dict[int, float] = {}
    for _ in range(ROUNDS):  # the sizes in turn, so a busy moment does not fall on one size
        for groups in GROUPS:
            with _scaling_project(groups) as project, local_cloud(project_dir=project,
                                                                  stack="bench") as cloud:
                seconds = cloud.deploy_seconds
            fastest[groups] = min(seconds, fastest.get(groups, seconds))
    sizes = [5 * groups for groups in GROUPS]
    seconds = [fastest[groups] for groups in GROUPS]
    slope, intercept = _linear_fit(sizes, seconds)
    rows = [[size, took, intercept + slope * size, took / (intercept + slope * size)]
            for size, took in zip(sizes, seconds)]
    show(f"scaling: local cloud deploy time against the program's size (fresh cloud each, "
         f"fastest of {ROUNDS})", ["resources", "deploy s", "linear fit s", "measured / fit"],
         rows, notes=[f"Least-squares line: {intercept:.2f} s fixed (interpreter, SDK import, "
                      f"program start) + {slope * 1000:.1f} ms per resource; linear growth shows "
                      "as measured / fit close to 1 at every size."])


def _linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points."""
    n, mean_x, mean_y = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
             / sum((x - mean_x) ** 2 for x in xs))
    return slope, mean_y - slope * mean_x


@contextmanager
def _scaling_project(groups: int) -> Iterator[Path]:
    """A copy of bench/scaling_program with a `bench` stack of `groups` groups."""
    directory = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    try:
        shutil.copytree(ROOT / "bench" / "scaling_program", directory, dirs_exist_ok=True)
        (directory / "Pulumi.bench.yaml").write_text(
            f"config:\n  aws:region: eu-west-1\n  scaling:groups: {groups}\n")
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
