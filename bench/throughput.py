"""`throughput`: orders placed at a steady rate, end to end, and what saturates.

On one fresh local cloud, after a warm-up order: for each target rate, `SECONDS` seconds of
`POST /orders` sent open-loop (one every 1/rate s, each from its own thread and HTTP session),
then every order polled once a second until final. POST → CONFIRMED is taken from the order's
own history timestamps (PLACED at ... CONFIRMED at), so the slow polling adds nothing to it.
A row counts the orders CONFIRMED, those that ended otherwise and those not final after
`FINAL_TIMEOUT` s (lost); the achieved rate is the CONFIRMED orders over the time from the
first POST to the last CONFIRMED. The CPU table shows which process saturates.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from bench.cloud import CpuMeter, cpu_cells, local_cloud
from bench.orders import customer_with_stock, place_order, wait_final
from bench.stats import cores, percentile
from bench.table import show

RATES = (10, 25)
SECONDS = 10
FINAL_TIMEOUT = 120


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        customer, product = customer_with_stock(cloud, 1_000_000)
        rows, cpu_rows = [], []
        for rate in RATES:
            time.sleep(3)  # the previous row's fan-out settles
            slots_before = cloud.status()["lambda_slots"]
            meter = CpuMeter(cloud).start()
            orders = _at_rate(cloud, customer, product, rate)
            used = meter.stop().cores()
            slots = cloud.status()["lambda_slots"]
            waits = slots["waits"] - slots_before["waits"]
            waited_s = (slots["waited_ms"] - slots_before["waited_ms"]) / 1000
            confirmed = [o for o in orders if o and o["status"] == "CONFIRMED"]
            lost = sum(1 for o in orders if o is None)
            latencies = [_seconds(o, "PLACED", "CONFIRMED") for o in confirmed]
            span = (max(_at(o, "CONFIRMED") for o in confirmed)
                    - min(_at(o, "PLACED") for o in confirmed)).total_seconds() if confirmed else 0
            rows.append([rate, len(orders), len(confirmed), len(orders) - len(confirmed) - lost,
                         lost, f"{len(confirmed) / span:.1f}" if span else "-",
                         f"{percentile(latencies, 50) * 1000:.0f}" if latencies else "-",
                         f"{percentile(latencies, 99) * 1000:.0f}" if latencies else "-",
                         waits, f"{waited_s:.0f}"])
            cpu_rows.append([rate] + cpu_cells(used))
        show(f"throughput: orders sent at a steady rate for {SECONDS} s (one fresh local cloud)",
             ["target orders/s", "sent", "CONFIRMED", "other final", "lost",
              "CONFIRMED/s achieved", "POST->CONFIRMED p50 ms", "p99 ms",
              "invocations that waited for a worker", "seconds waited"], rows,
             [f"lost: not final {FINAL_TIMEOUT} s after the last POST; achieved: CONFIRMED "
              "orders / (last CONFIRMED - first PLACED)."])
        show(f"throughput: CPU cores used during each row (machine: {cores()} cores)",
             ["target orders/s", "gateway", "moto", "workers", "client", "others", "machine"],
             cpu_rows)


def _at_rate(cloud, customer, product, rate: int) -> list[dict | None]:
    results: list[dict | None] = []
    lock = threading.Lock()

    def one() -> None:
        api = cloud.api(customer.token)
        try:
            order = wait_final(api, place_order(api, customer.user_id, product),
                               timeout=FINAL_TIMEOUT, interval=1.0)
        except Exception:  # no answer, or not final in time: lost
            order = None
        with lock:
            results.append(order)

    threads = []
    started = time.perf_counter()
    for k in range(rate * SECONDS):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return results


def _at(order: dict, status: str) -> datetime:
    return next(datetime.fromisoformat(h["at"].replace("Z", "+00:00"))
                for h in order["history"] if h["status"] == status)


def _seconds(order: dict, start: str, end: str) -> float:
    return (_at(order, end) - _at(order, start)).total_seconds()
