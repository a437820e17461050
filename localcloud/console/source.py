"""What the console reads of the running cloud, and small helpers every page shares."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Protocol

from localcloud.core.registry import Registry


class Missing(LookupError):
    """No such function, queue, alarm, execution or file: the page answers 404."""


class Source(Protocol):
    """The running cloud as the console sees it (implemented by `app.cloud.LocalCloud`)."""

    registry: Registry
    deployment: Any  # deploy.deployer.Deployment: outputs, resources, project, stack

    def aws(self, service: str, *, via_gateway: bool = False) -> Any:
        """boto3 straight to moto (reads), or through the gateway (Invoke, PutEvents)."""

    def function_stats(self) -> dict[str, dict]:
        """Per function: invocations, errors, cold starts, throttles, in flight."""

    def recent_events(self) -> list[dict]:
        """The last events the EventBridge router matched: at (epoch s), bus, event, rules."""

    def recent_batches(self) -> list[dict]:
        """The last SQS batches handed to functions: at (epoch s), queue ARN, function,
        messages, failed (message ids, or "all")."""


def pretty(text: Any) -> str:
    """JSON shown indented when it parses, else as it is."""
    if isinstance(text, str):
        try:
            text = json.loads(text)
        except ValueError:
            return text
    return json.dumps(text, indent=2, sort_keys=True, default=str)


def when(value: Any) -> str:
    """A timestamp (datetime, epoch seconds or milliseconds) as UTC ISO-8601 with ms."""
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, timezone.utc)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return str(value)


def epoch(value: Any) -> float:
    """A timestamp as epoch seconds (for sorting a timeline)."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return value / 1000 if value > 1e11 else float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
