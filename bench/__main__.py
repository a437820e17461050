"""`python -m bench [name ...]`: run every benchmark, or the ones named, and print their tables."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

from bench.stats import machine

# name on the command line -> module with a `run()` that prints its tables
BENCHMARKS = {
    "program": "bench.program",
    "localcloud": "bench.localcloud",
    "lambda": "bench.lambda_invoke",
    "api": "bench.api",
    "auth": "bench.auth",
    "outbox": "bench.outbox",
    "recovery": "bench.recovery",
    "load": "bench.load",
    "overhead": "bench.overhead",
    "coldstart": "bench.coldstart",
    "cost": "bench.cost",
    "throughput": "bench.throughput",
    "reload": "bench.reload",
    "iam": "bench.iam",
    "scaling": "bench.scaling",
    "calls": "bench.order_calls",
    "clock": "bench.clock",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    print(f"Machine: {machine()}\n", flush=True)
    started, failed = time.perf_counter(), []
    for name in names:
        print(f"bench: running {name} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            importlib.import_module(BENCHMARKS[name]).run()
        except Exception:  # report it and go on with the other benchmarks
            traceback.print_exc()
            failed.append(name)
        print(f"bench: {name} took {time.perf_counter() - began:.0f}s", file=sys.stderr,
              flush=True)
    print(f"Total {time.perf_counter() - started:.0f}s for {', '.join(names)}; load now "
          + " ".join(f"{load:.2f}" for load in os.getloadavg())
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
