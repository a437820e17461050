"""`coldstart`: each function's cold import beside a naive Powertools + boto3 handler, in
fresh interpreters, with the bytes each function ships.

A cold start imports the handler module (Lambda's init phase). The naive handler imports
Powertools' Logger, Tracer, Metrics and REST resolver and boto3, and builds its DynamoDB table
at import, as a handler that does not care would. Our handlers import boto3 and the heavier
Powertools utilities with their first client (`lambdas/shared/dal/dynamo.py`), so the second
time column adds that: the handler import plus its first boto3 client, i.e. what the first
invocation still pays before its first AWS call. Rows take turns, one fresh interpreter each,
`RUNS` times; medians, and the fastest run (least disturbed by other jobs). *package*: the function's own archive; *layer*: the shared-code layer
every function carries (the Powertools layer is AWS's and not counted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.stats import median
from bench.table import show
from components.builders.packaging import PROJECT_ROOT, function_files, shared_layer_files

RUNS = 5
AREAS = ("users", "orders", "workflow", "events", "scheduled")
NAIVE = '''
import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayRestResolver()
table = boto3.resource("dynamodb").Table("users")


@app.get("/users/<user_id>")
def get_user(user_id):
    return table.get_item(Key={"userId": user_id}).get("Item") or {}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return app.resolve(event, context)
'''
# Timed in the child: the import alone, then the first boto3 client on top of it.
PROBE = '''
import sys, time
started = time.perf_counter()
__import__(sys.argv[1])
imported = time.perf_counter()
from lambdas.shared.plumbing.aws_clients import client
client("dynamodb")
print(imported - started, time.perf_counter() - started)
'''


def run() -> None:
    modules = sorted(path.relative_to(PROJECT_ROOT) for area in AREAS
                     for path in (PROJECT_ROOT / "lambdas" / area).glob("*.py")
                     if path.name != "__init__.py")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "naive_handler.py").write_text(NAIVE)
        names = ["naive_handler"] + [str(m.with_suffix("")).replace("/", ".") for m in modules]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, str(PROJECT_ROOT)]),
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
               "AWS_SECRET_ACCESS_KEY": "test", "POWERTOOLS_SERVICE_NAME": "bench",
               "POWERTOOLS_METRICS_NAMESPACE": "Bench", "POWERTOOLS_TRACE_DISABLED": "true"}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        for _ in range(RUNS):
            for name in names:
                out = subprocess.run([sys.executable, "-c", PROBE, name], env=env, cwd=folder,
                                     capture_output=True, text=True, check=True).stdout.split()
                samples[name].append((float(out[0]), float(out[1])))
    naive = median([s[0] for s in samples["naive_handler"]])
    naive_min = min(s[0] for s in samples["naive_handler"])
    layer = sum(path.stat().st_size for path in shared_layer_files().values())
    rows = []
    for name in names:
        imported = median([s[0] for s in samples[name]])
        with_client = median([s[1] for s in samples[name]])
        package = ("-" if name == "naive_handler" else
                   sum(p.stat().st_size for p in function_files(
                       name.replace(".", "/") + ".py").values()))
        fastest = min(s[0] for s in samples[name])
        rows.append([name.removeprefix("lambdas."), f"{imported * 1000:.0f}",
                     f"{imported / naive:.2f}", f"{fastest * 1000:.0f}",
                     f"{fastest / naive_min:.2f}", f"{with_client * 1000:.0f}", package,
                     "-" if name == "naive_handler" else layer])
    show(f"coldstart: handler import in a fresh interpreter ({RUNS} runs, medians; "
         "the naive handler is the baseline)",
         ["function", "import ms", "import / naive", "min ms", "min / naive min",
          "import + first client ms",
          "package bytes", "layer bytes"], rows,
         ["min: the fastest of the runs, the least disturbed by other jobs on the machine;",
          "import + first client: the import, then boto3 and a DynamoDB client, which our "
          "handlers create on first use (the naive one at import: its two columns differ by "
          "one more client only)."])
