"""Powertools Logger, Tracer and Metrics: one of each per container, created on first use.

They read POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_TRACE_DISABLED
when first used, not at import, so tests (and the local cloud) can set them beforehand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

Handler = Callable[[Any, Any], Any]


@functools.cache
def get_logger() -> Logger:
    return Logger()


@functools.cache
def get_tracer() -> Tracer:
    return Tracer()


@functools.cache
def get_metrics() -> Metrics:
    return Metrics()


def count(metric: str, value: int = 1) -> None:
    """Add a Count metric, flushed as EMF when the invocation ends."""
    get_metrics().add_metric(name=metric, unit=MetricUnit.Count, value=value)


def instrument(func: Handler, correlation_id_path: str | None = None) -> Handler:
    """Wrap a Lambda handler with logging context (and correlation id), tracing and metrics.

    The Powertools decorators are applied at call time (cheap) so that they always use the
    per-container Logger/Tracer/Metrics, which are themselves created once the environment is set.
    """

    @functools.wraps(func)
    def handler(event: Any, context: Any) -> Any:
        inner = get_metrics().log_metrics(func, capture_cold_start_metric=True)
        inner = get_tracer().capture_lambda_handler(inner)
        inner = get_logger().inject_lambda_context(
            inner, correlation_id_path=correlation_id_path, clear_state=True
        )
        return inner(event, context)

    return handler
