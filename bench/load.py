"""`load`: GET /users/{id} with 16 and 64 concurrent clients, beside 1 client, and where the
time of a request goes.

Lambda runs 1,000 concurrent executions per account by default, so this load sees no throttle
on AWS; on the local cloud past what the machine runs at once (`--max-running`) an invocation
waits for a worker instead. Each row reports errors and throttles (0 expected), and splits the
mean request into: waiting for a worker slot, inside the function's worker (the executor's wall
time: channel, handler, its GetItem), and the rest (HTTP, gateway, REST API server, authorizer).
Every client has its own HTTP session and cycles through 20 users with their own tokens.
"""

from __future__ import annotations

from bench.api import run_clients
from bench.cloud import CpuMeter, cpu_cells, local_cloud
from bench.orders import create_customer
from bench.stats import cores, ms, percentile
from bench.table import show

CLIENTS = (1, 16, 64)
REQUESTS_PER_CLIENT = 10
MIN_REQUESTS = 200


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        users = [create_customer(cloud) for _ in range(20)]
        function = cloud.function("get-user")

        def get_user(session, i):
            user = users[i % len(users)]
            return session.get(f"/users/{user.user_id}", headers={"Authorization": user.token})

        rows, split_rows, cpu_rows = [], [], []
        for clients in CLIENTS:
            total = max(MIN_REQUESTS, REQUESTS_PER_CLIENT * clients)
            run_clients(cloud, get_user, 2 * clients, clients)  # warm-up
            before = cloud.status()
            meter = CpuMeter(cloud).start()
            latencies, statuses, wall = run_clients(cloud, get_user, total, clients)
            used = meter.stop().cores()
            after = cloud.status()
            fn_before, fn_after = before["functions"][function], after["functions"][function]
            calls = max(1, fn_after["invocations"] - fn_before["invocations"])
            errors = sum(n for status, n in statuses.items() if status == 0 or status >= 400)
            waits = after["lambda_slots"]["waits"] - before["lambda_slots"]["waits"]
            waited = (after["lambda_slots"]["waited_ms"] - before["lambda_slots"]["waited_ms"]) / calls
            in_worker = (fn_after["run_ms"] - fn_before["run_ms"]) / calls
            mean = sum(latencies) / len(latencies) * 1000
            rows.append([clients, len(latencies), ms(percentile(latencies, 50)),
                         ms(percentile(latencies, 95)), ms(percentile(latencies, 99)),
                         ms(max(latencies)), len(latencies) / wall, errors,
                         fn_after["throttles"] - fn_before["throttles"],
                         fn_after["cold_starts"] - fn_before["cold_starts"], waits])
            split_rows.append([clients, f"{mean:.2f}", f"{waited:.2f}", f"{in_worker:.2f}",
                               f"{max(0.0, mean - waited - in_worker):.2f}"])
            cpu_rows.append([clients] + cpu_cells(used))
        slots = after["lambda_slots"]
        show("load: GET /users/{id} under concurrent clients (one fresh local cloud; "
             "1 client is the baseline)",
             ["clients", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s", "errors",
              "throttles", "cold starts", "waited for a worker"], rows,
             ["errors: no response or status >= 400; throttles: the function's 429s (AWS: none "
              "below 1,000 concurrent executions);",
              f"waited for a worker: invocations that found all {slots['max_running']} slots "
              f"of this machine busy (--max-running; bounded by --worker-wait "
              f"{slots['max_wait_seconds']:g} s)."])
        show("load: where the mean request's time goes (ms)",
             ["clients", "mean request", "waiting for a worker", "in the worker",
              "rest (HTTP, gateway, REST API, authorizer)"], split_rows,
             ["in the worker: the executor's wall time per invocation (channel, handler, its "
              "GetItem)."])
        show(f"load: CPU cores used during each row (machine: {cores()} cores)",
             ["clients", "gateway", "moto", "workers", "client", "others", "machine"],
             cpu_rows)
