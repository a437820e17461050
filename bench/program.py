"""`program`: evaluating the Pulumi program under mocks, per stack.

That is what every unit test pays (tests/unit/mocks.py `evaluate`) and the program part of a
`pulumi preview`. Each run is a fresh interpreter, so import costs are not hidden by an earlier
run; inside it the program is evaluated twice: the first evaluation also imports the provider
modules the program touches, the second is what a further test in the same process pays.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

from bench.cloud import ROOT
from bench.stats import median
from bench.table import show

STACKS = ("dev", "prod", "local")
RUNS = 5


def run() -> None:
    rows = []
    for stack in STACKS:
        samples = [_measure_in_subprocess(stack) for _ in range(RUNS)]
        first = samples[0]
        rows.append([stack, first["resources"], first["types"], first["outputs"], RUNS,
                     median([s["imports"] for s in samples]),
                     median([s["first"] for s in samples]),
                     median([s["repeat"] for s in samples]),
                     median([s["wall"] for s in samples]),
                     max(s["first"] for s in samples),
                     round(median([s["peak_rss_kib"] for s in samples]) / 1024)])
    show("program: the Pulumi program under mocks (tests/unit/mocks.py evaluate), "
         "fresh process per run",
         ["stack", "resources", "types", "outputs", "runs", "imports s", "1st eval s",
          "repeat eval s", "process s", "max 1st s", "peak RSS MiB"], rows,
         ["imports: pulumi + pulumi_aws + the mocks; 1st eval: the program, including the provider"
          " modules it imports;",
          "repeat eval: a second evaluation in the same process (a further unit test); process: "
          "wall time of the whole interpreter; medians."])


def _measure_in_subprocess(stack: str) -> dict:
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "bench.program", stack], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"evaluating {stack} failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def _child(stack: str) -> None:
    started = time.perf_counter()
    import pulumi  # noqa: F401
    import pulumi_aws  # noqa: F401

    sys.path.insert(0, str(ROOT))
    from tests.unit.mocks import evaluate

    imported = time.perf_counter()
    graph = evaluate(stack)
    first = time.perf_counter()
    evaluate(stack)
    repeat = time.perf_counter()
    print(json.dumps({
        "imports": imported - started, "first": first - imported, "repeat": repeat - first,
        "resources": len(graph.resources), "types": len({r.type for r in graph.resources}),
        "outputs": len(graph.outputs),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    _child(sys.argv[1])
