"""`localcloud`: time to ready of the `local` stack, fresh and restored, and memory of the local
cloud's processes.

Each run starts a fresh local cloud (`start_local_cloud` in a child process, `--fresh`), warms it
up and stops it (its state saved), then starts it again on that state (restored: every resource
adopted) and stops it: the two kinds of start take turns, so load on the machine hits both.
Ready time is what `start_local_cloud` reports (moto up, program deployed, triggers running);
the deployment is the part spent evaluating the program and creating (or adopting) its
resources.
Memory is read from /proc after a warm-up workload that starts a worker for most functions:
VmRSS is resident now, VmHWM the peak of each process (their sum bounds the tree's peak).
"""

from __future__ import annotations

import socket
import tempfile
import time

from bench.cloud import local_cloud, memory_kib
from bench.orders import create_customer, place_order, seed_stock, wait_final
from bench.stats import median
from bench.table import show
from localcloud.emulator.moto_server import free_port

RUNS = 3
ROLES = ("gateway", "moto", "worker", "other")


def run() -> None:
    timings, restored, memory = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-state-") as state_dir:
        port = free_port(socket.gethostbyname("localhost"))  # a restore serves where it saved
        for _ in range(RUNS):
            started = time.perf_counter()
            with local_cloud(state_dir=state_dir, port=port) as cloud:
                timings.append(_timing(cloud, started))
                _warm_up(cloud)
                memory.append(_memory_by_role(cloud))
            started = time.perf_counter()
            with local_cloud(state_dir=state_dir, port=port, fresh=False) as cloud:
                assert set(cloud.actions) == {"adopt"}, cloud.actions  # nothing created again
                restored.append(_timing(cloud, started))
    _show_timings(timings)
    _show_restored(timings, restored)
    _show_memory(memory)


def _timing(cloud, started: float) -> dict:
    return {"deploy": cloud.deploy_seconds, "ready": cloud.ready_seconds,
            "process": time.perf_counter() - started}


def _warm_up(cloud) -> None:
    """Users and two orders to CONFIRMED: API, fan-out and workflow functions all get a worker."""
    customer = create_customer(cloud)
    api, customer = customer.api, customer.user_id
    api.get(f"/users/{customer}").raise_for_status()
    product = seed_stock(cloud, 10)
    for _ in range(2):
        wait_final(api, place_order(api, customer, product), interval=0.2)


def _memory_by_role(cloud) -> dict[str, dict[str, float]]:
    by_role = {role: {"count": 0, "rss": 0, "hwm": 0, "per_process": []} for role in ROLES}
    for pid, role in cloud.processes().items():
        try:
            rss, hwm = memory_kib(pid)
        except OSError:  # exited meanwhile
            continue
        entry = by_role[role]
        entry["count"] += 1
        entry["rss"] += rss
        entry["hwm"] += hwm
        entry["per_process"].append(rss)
    return by_role


def _show_timings(timings: list[dict]) -> None:
    rows = []
    for key, label in (("deploy", "deployment (program -> moto resources)"),
                       ("ready", "start_local_cloud until ready (incl. deployment)"),
                       ("process", "child process start until ready (incl. imports)")):
        values = [t[key] for t in timings]
        rows.append([label, len(values), median(values), min(values), max(values)])
    rows.insert(2, ["ready minus deployment (moto, gateway, triggers)", len(timings),
                    median([t["ready"] - t["deploy"] for t in timings]),
                    min(t["ready"] - t["deploy"] for t in timings),
                    max(t["ready"] - t["deploy"] for t in timings)])
    show("localcloud: time to ready of the local stack (fresh local cloud per run)",
         ["phase", "runs", "median s", "min s", "max s"], rows)


def _show_restored(fresh: list[dict], restored: list[dict]) -> None:
    rows = []
    for key, label in (("deploy", "deployment"), ("ready", "start_local_cloud until ready"),
                       ("process", "child process start until ready")):
        baseline = median([t[key] for t in fresh])
        for kind, runs in (("up fresh", fresh), ("up restored", restored)):
            values = [t[key] for t in runs]
            rows.append([f"{kind}: {label}", len(values), median(values), min(values),
                         max(values), f"{median(values) / baseline:.2f}"])
    show("localcloud: `up` fresh vs restored from the saved state (taking turns, same run; "
         "ratio: median / the fresh median)",
         ["start", "runs", "median s", "min s", "max s", "ratio"], rows)


def _show_memory(memory: list[dict]) -> None:
    rows = []
    for role in ROLES:
        samples = [m[role] for m in memory]
        if not any(s["count"] for s in samples):
            continue
        per_process = [kib for s in samples for kib in s["per_process"]]
        rows.append([role, median([s["count"] for s in samples]),
                     _mib(median([s["rss"] for s in samples])),
                     _mib(median([s["hwm"] for s in samples])),
                     _mib(median(per_process)), _mib(max(per_process))])
    totals = [{k: sum(m[r][k] for r in ROLES) for k in ("count", "rss", "hwm")} for m in memory]
    rows.append(["total", median([t["count"] for t in totals]),
                 _mib(median([t["rss"] for t in totals])),
                 _mib(median([t["hwm"] for t in totals])), None, None])
    show("localcloud: memory of the process tree after the warm-up "
         f"(1 user, 2 orders to CONFIRMED; median of {len(memory)} runs)",
         ["process", "count", "RSS MiB", "peak MiB", "RSS/process MiB", "max RSS/process MiB"],
         rows, ["gateway: the process running start_local_cloud (gateway, executor, triggers);"
                " peak: sum of each process's VmHWM."])


def _mib(kib: float) -> int:
    return round(kib / 1024)
