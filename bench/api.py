"""`api`: HTTP latency and throughput through the REST API, and an order's time to CONFIRMED.

On a fresh local cloud: first the end-to-end time of single orders (POST /orders, then GET
/orders/{id} every 50 ms until the order is final), split into workflow steps with the `at`
timestamps of the order's history; the first order pays the cold starts of every function on
its path. Then a bounded number of requests per endpoint with 1 and 4 concurrent clients, each
client with its own HTTP session, after a warm-up that gives every client a warm worker; the
CPU used meanwhile by each process of the cloud, by the clients and by the whole machine shows
where the time goes.
POST /orders starts the asynchronous order flow, which keeps running while the next
measurements are taken, as it would on a busy platform.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from typing import Callable

import requests

from bench.cloud import CloudProcess, CpuMeter, local_cloud, memory_kib
from bench.orders import (Customer, create_customer, order_body, place_order, seed_stock,
                          wait_final)
from bench.stats import cores, median, ms, percentile
from bench.table import show

REQUESTS = 200
USER_REQUESTS = 100  # per row: each needs a newly signed-in user
ORDER_REQUESTS = 50  # each order also runs ~9 functions and a workflow in the background
CLIENTS = (1, 4)
WARM_ORDERS = 5
CPU_ROLES = ("gateway", "moto", "worker", "client")
STEPS = ("PLACED", "PROCESSING", "VALIDATED", "PAID", "RESERVED", "CONFIRMED")


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        customer = create_customer(cloud)
        product = seed_stock(cloud, 100_000)
        _order_to_confirmed(customer.api, customer.user_id, product)
        _latency(cloud, customer, product)


# -- one order, end to end ----------------------------------------------------------------------

def _order_to_confirmed(api, customer: str, product: str) -> None:
    orders = []
    for _ in range(1 + WARM_ORDERS):
        started = time.perf_counter()
        order = wait_final(api, place_order(api, customer, product))
        if order["status"] != "CONFIRMED":
            raise RuntimeError(f"order ended {order['status']}: {order.get('history')}")
        orders.append((time.perf_counter() - started, _step_seconds(order)))
    cold, warm = orders[0], orders[1:]
    rows = []
    for before, after in zip(STEPS, STEPS[1:]):
        step = f"{before} -> {after}"
        values = [steps[step] for _, steps in warm]
        rows.append([step, ms(cold[1][step]), ms(median(values)), ms(max(values))])
    totals = [total for total, _ in warm]
    rows.append(["POST /orders -> CONFIRMED seen by the client", ms(cold[0]), ms(median(totals)),
                 ms(max(totals))])
    show(f"api: one order from POST to CONFIRMED (first order cold, then {WARM_ORDERS} "
         "sequential orders)",
         ["step (order history timestamps)", "first order ms", "median ms", "max ms"], rows,
         [f"median / max over {WARM_ORDERS} orders placed one after another; the client polls "
          "GET /orders/{id} every 50 ms."])


def _step_seconds(order: dict) -> dict[str, float]:
    at = {h["status"]: datetime.fromisoformat(h["at"].replace("Z", "+00:00"))
          for h in order["history"]}
    return {f"{before} -> {after}": (at[after] - at[before]).total_seconds()
            for before, after in zip(STEPS, STEPS[1:])}


# -- latency and throughput ---------------------------------------------------------------------

def _latency(cloud: CloudProcess, customer: Customer, product: str) -> None:
    users = [create_customer(cloud) for _ in range(20)]
    # POST /users registers the caller: every request needs a user of its own, signed in
    # before the rows start (sign-in is not part of what is measured).
    newcomers = iter([cloud.sign_in(f"u-{uuid.uuid4().hex[:12]}@example.com")
                      for _ in range(len(CLIENTS) * USER_REQUESTS + 3 * sum(CLIENTS))])

    def post_user(session, i):
        return session.post("/users", json={"name": "Bench"},
                            headers={"Authorization": next(newcomers)})

    def get_user(session, i):
        user = users[i % len(users)]
        return session.get(f"/users/{user.user_id}", headers={"Authorization": user.token})

    def post_order(session, i):
        return session.post("/orders", json=order_body(customer.user_id, product),
                            headers={"Authorization": customer.token})

    rows, cpu_rows = [], []
    for label, request, total in (("POST /users", post_user, USER_REQUESTS),
                                  ("GET /users/{id}", get_user, REQUESTS),
                                  ("POST /orders", post_order, ORDER_REQUESTS)):
        for clients in CLIENTS:
            run_clients(cloud, request, 3 * clients, clients)  # warm-up: a warm worker per client
            before = sum(cloud.cold_starts().values())
            meter = CpuMeter(cloud).start()
            latencies, statuses, wall = run_clients(cloud, request, total, clients)
            used = meter.stop().cores()
            cold_starts = sum(cloud.cold_starts().values()) - before
            errors = sum(n for status, n in statuses.items() if status == 0 or status >= 400)
            rows.append([label, clients, len(latencies), ms(percentile(latencies, 50)),
                         ms(percentile(latencies, 95)), ms(percentile(latencies, 99)),
                         ms(max(latencies)), len(latencies) / wall, errors, cold_starts])
            ours = sum(v for role, v in used.items() if role != "machine")
            cpu_rows.append([label, clients] + [used.get(role, 0.0) for role in CPU_ROLES]
                            + [max(used["machine"] - ours, 0.0), used["machine"]])
    show("api: HTTP latency through the REST API (one fresh local cloud, rows run in order)",
         ["request", "clients", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s",
          "errors", "cold starts"], rows,
         ["req/s: requests / wall time of the row; errors: no response or status >= 400;",
          "cold starts: workers started during the row.",
          "POST /orders rows run while earlier orders still flow through queue, workflow and "
          "fan-out.",
          _workers_note(cloud)])
    show(f"api: CPU cores used during each row above (machine: {cores()} cores)",
         ["request", "clients", "gateway", "moto", "workers", "client", "others", "machine"],
         [[label, clients] + [f"{v:.2f}" for v in values] for label, clients, *values in cpu_rows],
         ["gateway: the local cloud's own process; client: this benchmark's HTTP clients; "
          "others: the rest of the machine (other jobs)."])


def _workers_note(cloud: CloudProcess) -> str:
    """How many Lambda workers the rows left running (workers are kept until the cloud stops)."""
    rss = 0
    workers = [pid for pid, role in cloud.processes().items() if role == "worker"]
    for pid in workers:
        try:
            rss += memory_kib(pid)[0]
        except OSError:  # exited meanwhile
            pass
    per_function = sorted(((len(s["worker_pids"]), cloud.short_name(name))
                           for name, s in cloud.status()["functions"].items()), reverse=True)
    most = ", ".join(f"{name} {count}" for count, name in per_function[:4])
    return (f"Lambda workers alive afterwards: {len(workers)}, {rss / 1024:.0f} MiB RSS together"
            f" (most: {most}).")


def run_clients(cloud: CloudProcess, request: Callable, total: int,
          clients: int) -> tuple[list[float], Counter, float]:
    """`total` requests shared by `clients` threads; (latencies, status counts, wall seconds)."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(first: int) -> None:
        session = cloud.api()
        for i in range(first, total, clients):
            started = time.perf_counter()
            try:
                status = request(session, i).status_code
            except requests.RequestException:
                status = 0  # no response: counted as an error, not as a latency
            elapsed = time.perf_counter() - started
            with lock:
                statuses[status] += 1
                if status:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started
