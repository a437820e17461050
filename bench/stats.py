"""Percentiles and a description of the machine the numbers come from."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
from typing import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> float:
    return seconds * 1000


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def machine_cpu() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far in clock ticks, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:8]]
    total = sum(values)
    return total - values[3] - values[4], total  # minus idle and iowait


def machine() -> str:
    """One line: what the numbers were measured on (they mean little without it)."""
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            total_kb = int(meminfo.readline().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load %.2f %.2f %.2f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    return (f"{datetime.date.today()}  {platform.system()} {platform.machine()}, {cores()} cores"
            f"{memory}{load}, Python {sys.version.split()[0]}")
