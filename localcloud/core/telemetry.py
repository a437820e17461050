"""Function logs and metrics to local CloudWatch, batched off the invocation path.

`Telemetry` queues log lines per (group, stream) and metric datums per namespace, and a
background thread ships them to moto every `interval` seconds (and once more on stop).
Powertools EMF documents printed by a function become metric datums in their own namespace.
With a manual clock (`stamp` given), every datum is stamped with the simulated time it is
received at, whatever time the function wrote into it, so that alarms see it in the simulated
period it happened in; log events keep the real time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Callable

log = logging.getLogger("localcloud.telemetry")

_MAX_DATUMS = 500  # per PutMetricData call
_MAX_EVENTS = 5000  # per PutLogEvents call


class Telemetry:
    def __init__(self, aws: Callable[[str], Any], *, interval: float = 0.5,
                 stamp: Callable[[], float] | None = None):
        self.aws = aws
        self.stamp = stamp
        self.interval = interval
        self.lock = threading.Lock()
        self.shipping = threading.Lock()  # held while a flush ships
        self.logs: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.metrics: dict[str, list[dict]] = defaultdict(list)
        self.streams: set[tuple[str, str]] = set()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="telemetry", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        self.flush()

    # -- producers (called on the invocation path: they only append) ---------------------------

    def log(self, group: str, stream: str, message: str, timestamp_ms: int | None = None) -> None:
        event = {"timestamp": timestamp_ms or int(time.time() * 1000), "message": message}
        with self.lock:
            self.logs[(group, stream)].append(event)

    def metric(self, namespace: str, name: str, value: float, unit: str = "None",
               dimensions: dict[str, str] | None = None, timestamp: float | None = None) -> None:
        if self.stamp is not None:
            timestamp = self.stamp()
        datum = {"MetricName": name, "Value": float(value), "Unit": unit,
                 "Timestamp": datetime.fromtimestamp(timestamp or time.time(), timezone.utc),
                 "Dimensions": [{"Name": k, "Value": str(v)} for k, v in (dimensions or {}).items()]}
        with self.lock:
            self.metrics[namespace].append(datum)

    def emf(self, line: str) -> bool:
        """Turn one EMF document (as Powertools prints it) into datums; False if it is not one."""
        if not line.startswith("{") or '"_aws"' not in line:
            return False
        try:
            document = json.loads(line)
            meta = document["_aws"]
            timestamp = meta.get("Timestamp", time.time() * 1000) / 1000
            for directive in meta["CloudWatchMetrics"]:
                namespace = directive["Namespace"]
                dimension_sets = directive.get("Dimensions") or [[]]
                for metric in directive["Metrics"]:
                    values = document.get(metric["Name"])
                    if values is None:
                        continue
                    for value in values if isinstance(values, list) else [values]:
                        for names in dimension_sets:
                            self.metric(namespace, metric["Name"], value,
                                        metric.get("Unit", "None"),
                                        {n: document[n] for n in names if n in document},
                                        timestamp)
            return True
        except (ValueError, KeyError, TypeError):
            log.debug("not an EMF document: %s", line[:200])
            return False

    # -- shipping -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.flush()
            except Exception:
                log.exception("shipping logs and metrics failed")

    def flush(self) -> None:
        """Ship what is queued; returns once it is in moto, even when another thread was
        shipping it (an advance of the manual clock relies on that)."""
        with self.shipping:
            with self.lock:
                logs, self.logs = self.logs, defaultdict(list)
                metrics, self.metrics = self.metrics, defaultdict(list)
            for (group, stream), events in logs.items():
                self._put_logs(group, stream, events)
            for namespace, datums in metrics.items():
                for start in range(0, len(datums), _MAX_DATUMS):
                    self.aws("cloudwatch").put_metric_data(
                        Namespace=namespace, MetricData=datums[start:start + _MAX_DATUMS])

    def _put_logs(self, group: str, stream: str, events: list[dict]) -> None:
        logs = self.aws("logs")
        if (group, stream) not in self.streams:
            for create in (lambda: logs.create_log_group(logGroupName=group),
                           lambda: logs.create_log_stream(logGroupName=group,
                                                          logStreamName=stream)):
                try:
                    create()
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
            self.streams.add((group, stream))
        events.sort(key=lambda e: e["timestamp"])
        for start in range(0, len(events), _MAX_EVENTS):
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=events[start:start + _MAX_EVENTS])
