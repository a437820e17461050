"""Program: the platform program, plus exports of what the order components expose to Monitoring
(`functions` and `dead_letter_queues`), so tests can check that every function and DLQ is in
those lists."""

import runpy
from pathlib import Path

import pulumi

program = runpy.run_path(str(Path(__file__).resolve().parents[3] / "__main__.py"))
components = [program[name] for name in ("workflow", "order_queue", "events", "orders_api",
                                         "report", "sweeper")]
pulumi.export("ComponentFunctions", {
    type(c).__name__: [fn.logical_name for fn in c.functions] for c in components})
pulumi.export("ComponentDeadLetterQueues", {
    type(c).__name__: [queue.arn for queue in getattr(c, "dead_letter_queues", [])]
    for c in components})
