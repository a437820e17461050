"""Which changed resources the local provider applies in place, and how.

A type whose handler only makes create-or-replace calls (`put_*`, `set_*`) is updated by running
its handler again for real. A Lambda function is updated by turning the handler's
`create_function` into `update_function_configuration` (the response has the same shape), so
its registry entry is rebuilt by the same code that built it. A change of a resource's name is
a replacement, never an update. Any other change needs a restart with `--fresh`.
"""

from __future__ import annotations

from typing import Any, Callable

PUT_STYLE = frozenset({
    "aws:iam/rolePolicy:RolePolicy",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
})
FUNCTION = "aws:lambda/function:Function"
UPDATABLE = PUT_STYLE | {FUNCTION}
# Keys whose change replaces a resource (a new physical name) rather than updating it.
REPLACING_KEYS = frozenset({"name", "namePrefix", "dashboardName", "functionName", "rule",
                            "targetId", "eventBusName"})

_CONFIGURATION = ("FunctionName", "Runtime", "Role", "Handler", "Description", "Timeout",
                  "MemorySize", "Environment", "Layers", "TracingConfig")


class _FunctionUpdates:
    """A Lambda client whose `create_function` updates the existing function's configuration."""

    def __init__(self, client: Any):
        self._client = client

    def create_function(self, **kwargs: Any) -> dict:
        configuration = {k: v for k, v in kwargs.items() if k in _CONFIGURATION}
        configuration.setdefault("Environment", {"Variables": {}})  # removed variables go too
        return self._client.update_function_configuration(**configuration)

    def __getattr__(self, method: str) -> Any:
        return getattr(self._client, method)


def updating(aws: Callable[[str], Any], type_token: str) -> Callable[[str], Any]:
    """`ctx.aws` for updating a resource of `type_token` in place."""
    if type_token != FUNCTION:
        return aws
    return lambda service: _FunctionUpdates(aws(service)) if service == "lambda" else aws(service)
