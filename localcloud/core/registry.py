"""The registry: compute wiring the deployer records instead of handing it to moto.

moto would run event source mappings inside SendMessage and SNS → Lambda on Publish, without
Docker and wrongly; so functions, mappings and Lambda subscriptions are kept here, and the
services that run them (Lambda, SQS pollers, SNS fan-out) read them from the registry. Functions
and mappings are also stored in moto (the control plane's store of truth); Lambda control-plane
writes through the gateway update the registry (services/lambda_/control_plane.py). moto
stores EventBridge Pipes but never runs them: their definitions are kept here for the pipe
runners.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .arns import function_ref


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
    system_log_level: str | None = None  # logging_config.system_log_level (JSON format only)
    provisioned_concurrency: int = 0  # workers kept warm from the start
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> alias ARN


@dataclass
class EventSourceMapping:
    """An SQS event source mapping: stored in moto (which never runs it, see
    emulator/moto_fixes/lambda_.py), polled by the local cloud."""

    uuid: str
    function_name: str
    event_source_arn: str
    batch_size: int = 10
    maximum_batching_window_seconds: int = 0
    function_response_types: list[str] = field(default_factory=list)
    maximum_concurrency: int | None = None
    enabled: bool = True

    @classmethod
    def from_api(cls, configuration: dict) -> "EventSourceMapping":
        """The mapping as Lambda's API describes it (Create/Get/UpdateEventSourceMapping)."""
        return cls(
            uuid=configuration["UUID"],
            function_name=function_ref(configuration["FunctionArn"])[0],
            event_source_arn=configuration["EventSourceArn"],
            batch_size=int(configuration.get("BatchSize") or 10),
            maximum_batching_window_seconds=int(
                configuration.get("MaximumBatchingWindowInSeconds") or 0),
            function_response_types=list(configuration.get("FunctionResponseTypes") or []),
            maximum_concurrency=(configuration.get("ScalingConfig") or {}).get(
                "MaximumConcurrency"),
            enabled=configuration.get("State", "Enabled") in ("Enabled", "Enabling"),
        )


@dataclass
class SnsLambdaSubscription:
    """An SNS subscription with protocol lambda, kept out of moto for the same reason."""

    subscription_arn: str
    topic_arn: str
    function_arn: str
    filter_policy: str | None = None


@dataclass
class PipeSpec:
    """An EventBridge Pipe from a DynamoDB stream to an event bus (what the local cloud runs)."""

    name: str
    arn: str
    source_arn: str  # a DynamoDB stream
    target_arn: str  # an event bus
    role_arn: str | None = None  # what the pipe acts as (reads, enriches, puts, dead-letters)
    starting_position: str = "LATEST"
    batch_size: int = 100
    maximum_batching_window_seconds: int = 0
    maximum_retry_attempts: int = -1  # -1: until the record expires
    maximum_record_age_seconds: int = -1
    bisect_on_failure: bool = False
    dead_letter_arn: str | None = None
    filters: list[str] = field(default_factory=list)  # EventBridge patterns (JSON); any matches
    enrichment_function: str | None = None  # a Lambda function ARN
    source: str | None = None  # the events' source and detail type on the bus
    detail_type: str | None = None
    resources: list[str] = field(default_factory=list)


@dataclass
class Registry:
    """Compute wiring recorded by the deployer: what moto must not run by itself."""

    functions: dict[str, FunctionSpec] = field(default_factory=dict)  # by function name
    event_source_mappings: list[EventSourceMapping] = field(default_factory=list)
    sns_lambda_subscriptions: list[SnsLambdaSubscription] = field(default_factory=list)
    rest_api_ids: list[str] = field(default_factory=list)
    pipes: list[PipeSpec] = field(default_factory=list)

    def function(self, name_or_arn: str) -> FunctionSpec | None:
        """Look a function up by name, ARN, or qualified ARN/alias."""
        return self.functions.get(function_ref(name_or_arn)[0])


