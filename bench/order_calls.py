"""`calls`: what one order costs, in AWS API calls by function and action and in CPU by process.

On a fresh local cloud, after a warm-up order (the cold starts of its path are paid), `ORDERS`
orders are placed one after another, each waited for until CONFIRMED. The local cloud counts
every signed call in its gateway under the function whose role session signed it
(`/_localcloud/status` "calls"; `(not a function)` is this benchmark's own polling, the local
cloud's triggers and moto's Step Functions tasks); the counts and the CPU of the cloud's
processes are read before and after, and divided by the number of orders. The baseline of the
CPU table is the same interval's wall time per order.
"""

from __future__ import annotations

from bench.cloud import CpuMeter, local_cloud
from bench.orders import customer_with_stock, place_order, wait_final
from bench.table import show

ORDERS = 10
CPU_ROLES = ("gateway", "moto", "worker", "client")
OTHER = "(not a function)"
# The benchmark's own polling of the order (GET /orders/{id} every 50 ms): not the order's work.
POLLING = "get-order"


def run() -> None:
    with local_cloud() as cloud:
        customer, product = customer_with_stock(cloud, 10_000)
        cloud.wait_idle()
        before = cloud.status()["calls"]
        meter = CpuMeter(cloud).start()
        for _ in range(ORDERS):
            order = wait_final(customer.api, place_order(customer.api, customer.user_id, product))
            if order["status"] != "CONFIRMED":
                raise RuntimeError(f"order ended {order['status']}: {order.get('history')}")
        cloud.wait_idle(timeout=30)  # the fan-out after CONFIRMED (email, warehouse) ends
        meter.stop()
        after = cloud.status()["calls"]
        _show_calls(cloud, before, after)
        _show_cpu(meter)


def _show_calls(cloud, before: dict, after: dict) -> None:
    rows, total = [], 0.0
    for caller in sorted(after, key=lambda name: (name == OTHER, name)):
        for action, count in after[caller].items():
            made = count - before.get(caller, {}).get(action, 0)
            if made:
                per_order = made / ORDERS
                name = caller if caller == OTHER else cloud.short_name(caller)
                total += per_order if name not in (OTHER, POLLING) else 0.0
                rows.append([name, action, per_order])
    show(f"calls: AWS API calls per order, by function and action ({ORDERS} orders, each "
         "to CONFIRMED)", ["function", "action", "calls per order"], rows,
         notes=[f"{total:.1f} calls per order made by the order's functions ({POLLING} is this "
                "benchmark polling the order every 50 ms).",
                f"{OTHER}: the local cloud's pipe and pollers, moto's Step Functions tasks "
                "invoking the workflow's functions, alarm actions."])


def _show_cpu(meter: CpuMeter) -> None:
    per_order = {role: seconds / ORDERS for role, seconds in meter.seconds.items()}
    rows = [[role, per_order.get(role, 0.0) * 1000] for role in CPU_ROLES]
    rows.append(["whole machine (other jobs included)", per_order.get("machine", 0.0) * 1000])
    rows.append(["wall time (the baseline)", meter.wall / ORDERS * 1000])
    show("calls: CPU per order by process (ms; the order's wall time beside it)",
         ["process", "CPU ms per order"], rows)
