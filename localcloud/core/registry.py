"""The seams between the parts of the local cloud.

The core (deployer, gateway, Lambda executor) implements `Cloud`; the API Gateway server, the
EventBridge router, the SQS pollers, the SNS fan-out, the scheduler and the alarm evaluator only
use what is declared here. Everything they need from AWS state they read from moto through
ordinary boto3 clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class InvokeResult:
    """What a Lambda invocation returned, in the shape of the Lambda Invoke API."""

    status_code: int  # 200 sync, 202 async accepted, 204 dry run, 429 throttled, 404 unknown
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" when the handler raised or timed out
    executed_version: str = "$LATEST"

    @property
    def ok(self) -> bool:
        return self.status_code < 300 and self.function_error is None


@dataclass
class AsyncInvokeConfig:
    """`FunctionEventInvokeConfig`, or Lambda's defaults when none is deployed."""

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 21600
    on_failure_arn: str | None = None
    on_success_arn: str | None = None


@dataclass
class FunctionSpec:
    name: str
    arn: str
    handler: str  # e.g. "lambdas.users.get_user.handler"
    runtime: str
    role_arn: str
    code_dir: str  # the function archive, extracted
    layer_dirs: list[str]  # extracted layers; their python/ folders go on sys.path
    environment: dict[str, str]
    timeout_seconds: int = 3
    memory_mb: int = 128
    reserved_concurrency: int | None = None
    log_group: str = ""  # logging_config.log_group or /aws/lambda/<name>
    log_format: str = "Text"
    log_level: str | None = None  # logging_config.application_log_level (JSON format only)
    provisioned_concurrency: int = 0  # workers kept warm from the start
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> alias ARN


@dataclass
class EventSourceMapping:
    """An SQS event source mapping, kept out of moto (moto would run it itself)."""

    uuid: str
    function_name: str
    event_source_arn: str
    batch_size: int = 10
    maximum_batching_window_seconds: int = 0
    function_response_types: list[str] = field(default_factory=list)
    maximum_concurrency: int | None = None
    enabled: bool = True


@dataclass
class SnsLambdaSubscription:
    """An SNS subscription with protocol lambda, kept out of moto for the same reason."""

    subscription_arn: str
    topic_arn: str
    function_arn: str
    filter_policy: str | None = None


@dataclass
class Registry:
    """Compute wiring recorded by the deployer: what moto must not run by itself."""

    functions: dict[str, FunctionSpec] = field(default_factory=dict)  # by function name
    event_source_mappings: list[EventSourceMapping] = field(default_factory=list)
    sns_lambda_subscriptions: list[SnsLambdaSubscription] = field(default_factory=list)
    rest_api_ids: list[str] = field(default_factory=list)

    def function(self, name_or_arn: str) -> FunctionSpec | None:
        """Look a function up by name, ARN, or qualified ARN/alias."""
        name = name_or_arn
        if name.startswith("arn:"):
            name = name.split(":")[6]
        elif ":" in name:
            name = name.split(":")[0]
        return self.functions.get(name)


@dataclass
class HttpRequest:
    """One request to a deployed REST API, as the gateway received it.

    `path` is what follows `/restapis/{api_id}/{stage}/_user_request_` and starts with `/`.
    """

    method: str
    path: str
    api_id: str
    stage: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # in order, repeats kept
    query: str = ""  # the raw query string, without "?"
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """The first value of a header, matched case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class Cloud(Protocol):
    """What the core gives the other parts of the local cloud."""

    region: str
    account_id: str
    endpoint_url: str  # the gateway, e.g. http://localhost:4566
    time_scale: float  # 60 means one simulated minute passes per real second
    registry: Registry

    def aws(self, service: str, *, via_gateway: bool = False) -> Any:
        """A boto3 client for moto (or for the gateway, so local interceptions apply)."""

    def invoke(self, function: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None) -> InvokeResult:
        """Invoke a function like the Lambda Invoke API (RequestResponse, Event, DryRun).

        "Event" queues the payload for asynchronous invocation with the function's retries,
        maximum event age and destinations, and returns 202 at once.
        """
