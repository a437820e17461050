"""`recovery`: how long the platform takes to bring every order to its final status once a
fault clears, beside the same batch with no fault, on one fresh local cloud in one run.

Each row places a batch of orders (one client, back to back). *no fault* is the baseline: the
time from the first POST to the last final status. The fault rows inject the fault first,
place the batch, keep the fault for `OUTAGE` seconds, clear it, and time from the clearing to
the last final status: what the outbox pipe's backoff (PutEvents failing) or the workflow's
jittered retries and safety net (payment failing) cost after an outage. Every order must end
in a final status; the statuses are printed, so a row that recovers by refunding shows it.
"""

from __future__ import annotations

import time
from collections import Counter

import requests

from bench.cloud import CloudProcess, local_cloud
from bench.orders import customer_with_stock, place_order, wait_final
from bench.stats import ms
from bench.table import show

BATCH = 8
OUTAGE = 10.0  # seconds the fault stays in place after the batch is placed
FAULTS = {
    "PutEvents failing (outbox pipe)": {"action": "events:PutEvents"},
    "process-payment failing (workflow)": {"function": "process-payment", "effect": "error"},
}


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        customer, product = customer_with_stock(cloud, 100_000)
        place = lambda: place_order(customer.api, customer.user_id, product)  # noqa: E731

        started = time.perf_counter()
        baseline_ids = [place() for _ in range(BATCH)]
        baseline = _finish(customer.api, baseline_ids)
        rows = [["no fault (baseline)", BATCH, "-", ms(time.perf_counter() - started), 1.0,
                 _statuses(baseline)]]

        for name, spec in FAULTS.items():
            fault = dict(spec)
            if "function" in fault:
                fault["function"] = cloud.function(fault["function"])
            _faults(cloud, "POST", fault)
            order_ids = [place() for _ in range(BATCH)]
            time.sleep(OUTAGE)
            hits = sum(f["hits"] for f in _faults(cloud, "GET")["faults"])
            _faults(cloud, "DELETE")
            cleared = time.perf_counter()
            orders = _finish(customer.api, order_ids)
            recovery = time.perf_counter() - cleared
            rows.append([name, BATCH, hits, ms(recovery), round(ms(recovery) / rows[0][3], 2),
                         _statuses(orders)])
        show("recovery: fault cleared -> every order of the batch final, beside the batch with no fault",
             ["fault", "orders", "fault hits", "ms to all final", "ratio to baseline", "statuses"], rows,
             [f"the fault stays {OUTAGE:.0f} s after the batch is placed; baseline: first POST to "
              "last final status with no fault; the time after the clearing is the retries' backoff"])


def _faults(cloud: CloudProcess, method: str, body: dict | None = None) -> dict:
    response = requests.request(method, f"{cloud.endpoint_url}/_localcloud/faults", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def _finish(api, order_ids: list[str]) -> list[dict]:
    return [wait_final(api, order_id, timeout=300) for order_id in order_ids]


def _statuses(orders: list[dict]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(Counter(o["status"] for o in orders).items()))
