"""`clock`: an asynchronous Lambda retry chain (fail, retry after 1 minute, after 2 more, then
the on-failure destination) waited for on a scaled clock (x60: the retries wait 1 and 2 real
seconds, found by polling the destination queue) beside advanced on a manual clock
(`advance 3m`, which returns once the record is there), measured in the same run.

Both clouds run the local cloud's fixture program (tests/localcloud/fixtures/app:
`fixture-fail`, maximumRetryAttempts 2, on-failure destination `async-failures`); each run is
one Event invoke until its record is received from the destination queue.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.stats import median
from bench.table import show
from localcloud.app.cloud import start_local_cloud
from localcloud.core.clients import local_client

RUNS = 3
TIME_SCALE = 60.0
FIXTURE_APP = str(Path(__file__).resolve().parents[1] / "tests/localcloud/fixtures/app")


def _record_after(cloud, wait) -> float:
    """Seconds from the invoke to receiving its failure record; `wait` moves time on."""
    lambda_ = local_client("lambda", cloud.endpoint_url, cloud.region, max_attempts=1)
    sqs = local_client("sqs", cloud.endpoint_url, cloud.region, max_attempts=1)
    url = cloud.deployment.outputs["failuresUrl"]
    started = time.monotonic()
    lambda_.invoke(FunctionName="fixture-fail", InvocationType="Event", Payload=b"{}")
    while True:
        wait()
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")
        if messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
            return time.monotonic() - started
        if time.monotonic() - started > 60:
            raise TimeoutError("no failure record within 60 s")


def _measure(clock: str) -> list[float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-clock-{clock}-") as state:
        cloud = start_local_cloud(FIXTURE_APP, port=0, state_dir=state, console=None,
                                  reload=False, clock=clock, time_scale=TIME_SCALE)
        try:
            if clock == "manual":
                wait = lambda: cloud.advancer.advance(180)  # noqa: E731
            else:
                wait = lambda: time.sleep(0.05)  # noqa: E731 (polls as a test's wait_for)
            return [_record_after(cloud, wait) for _ in range(RUNS)]
        finally:
            cloud.stop()


def run() -> None:
    scaled, manual = _measure("scaled"), _measure("manual")
    rows = [[name, f"{median(values) * 1000:.0f}", f"{min(values) * 1000:.0f}",
             f"{max(values) * 1000:.0f}", f"{median(values) / median(scaled):.3f}"]
            for name, values in (("scaled x60, polling the destination", scaled),
                                 ("manual, advance 3m", manual))]
    show(f"clock: async retry chain (1 min + 2 min) to its on-failure destination "
         f"({RUNS} runs each, median)", ["clock", "median ms", "min ms", "max ms", "/ scaled"],
         rows, ["scaled waits 3 simulated minutes = 3 real seconds plus the attempts; manual "
                "runs the three attempts back to back at their simulated instants."])
