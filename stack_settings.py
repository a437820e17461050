"""Typed stack settings, built once from the stack's Pulumi config and passed down.

Every field has a default that suits dev; `Pulumi.<stack>.yaml` overrides what a stack needs.
Validation happens before any resource is registered: an unknown key, a wrong type or a value
out of range stops the program with a message that names the key and the allowed range.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator,
                      model_validator)
from pydantic.alias_generators import to_camel

import powertools_layer

PROJECT = "order-platform"

# The retention values CloudWatch Logs accepts.
# The functions behind API routes (components/user_api.py, order_api.py): the ones that may
# keep provisioned instances warm.
API_FUNCTIONS = ("create-user", "get-user", "update-user", "delete-user", "create-order",
                 "get-order")
# Lambda keeps this much of the account's concurrency unreserved: provisioned concurrency may
# use at most the quota minus this.
UNRESERVED_CONCURRENCY_MINIMUM = 100

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)


class _Section(BaseModel):
    """Config objects use camelCase keys, reject unknown keys and are immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid",
                              frozen=True)


class FunctionSizing(_Section):
    memory: Annotated[int, Field(ge=128, le=10240)] = 256
    timeout: Annotated[int, Field(ge=1, le=900)] = 30


class FunctionClasses(_Section):
    """Memory (MB) and timeout (s) per class of function."""

    api: FunctionSizing = FunctionSizing(memory=512, timeout=10)
    event: FunctionSizing = FunctionSizing(memory=256, timeout=30)
    queue: FunctionSizing = FunctionSizing(memory=256, timeout=30)
    workflow: FunctionSizing = FunctionSizing(memory=256, timeout=30)
    scheduled: FunctionSizing = FunctionSizing(memory=512, timeout=120)


class ApiSettings(_Section):
    stage_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,128}$")] = "dev"
    cors_allowed_origins: Annotated[list[str], Field(min_length=1)] = ["*"]
    throttling_rate_limit: Annotated[float, Field(gt=0, le=10000)] = 50
    throttling_burst_limit: Annotated[int, Field(ge=1, le=5000)] = 100
    data_trace: bool = False
    # The API Gateway CloudWatch role is one per region and account: exactly one stack per
    # account and region manages it (prod; see README), so it is off by default.
    manage_account_role: bool = False
    cache_enabled: bool = False
    cache_size: Literal["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"] = "0.5"
    # Warm instances per API function, e.g. {"create-order": 2}; off by default (a new account
    # has 10 concurrent executions in all). A function with some is invoked through an alias.
    provisioned_concurrency: dict[Literal[API_FUNCTIONS],
                                  Annotated[int, Field(ge=1, le=1000)]] = {}
    # The largest amount one order may have (create-order answers 400 above it); the request
    # model's hard ceiling (10^12) keeps any value far inside DynamoDB's number range.
    max_order_amount: Annotated[int, Field(ge=1, le=10**12)] = 1_000_000


class AuthSettings(_Section):
    """The Cognito user pool and its app client (components/user_pool.py)."""

    password_minimum_length: Annotated[int, Field(ge=8, le=99)] = 12
    # OPTIONAL: users may turn on a TOTP second factor; ON requires it of everyone.
    mfa: Literal["OFF", "OPTIONAL", "ON"] = "OPTIONAL"
    # Users sign up themselves (SignUp + email code); False: only admins create accounts.
    self_sign_up: bool = True
    deletion_protection: bool = False
    id_token_validity_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    refresh_token_validity_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # USER_PASSWORD_AUTH on the app client besides SRP: for the local stack's tests and CLI;
    # on AWS, clients use SRP (the password never leaves them).
    password_auth_flow: bool = False


class EventSettings(_Section):
    bus_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9._\-]{1,256}$")] = "order-events"
    high_value_threshold: Annotated[float, Field(ge=0)] = 1000
    target_max_retry_attempts: Annotated[int, Field(ge=0, le=185)] = 2
    target_max_event_age_seconds: Annotated[int, Field(ge=60, le=86400)] = 7200
    async_max_retry_attempts: Annotated[int, Field(ge=0, le=2)] = 2
    async_max_event_age_seconds: Annotated[int, Field(ge=60, le=21600)] = 3600
    # The outbox pipe (orders stream -> bus): retries of a failed batch, the age after which a
    # record goes to the pipe's DLQ instead (a stream keeps records 24 h), records per batch.
    outbox_max_retry_attempts: Annotated[int, Field(ge=0, le=10000)] = 185
    outbox_max_record_age_seconds: Annotated[int, Field(ge=60, le=86400)] = 86400
    outbox_batch_size: Annotated[int, Field(ge=1, le=10)] = 10


class QueueSettings(_Section):
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 3
    batch_size: Annotated[int, Field(ge=1, le=10000)] = 10
    batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 0
    maximum_concurrency: Annotated[int, Field(ge=2, le=1000)] = 5

    @model_validator(mode="after")
    def _window_for_large_batches(self) -> "QueueSettings":
        # SQS rejects a batch size above 10 without a batching window.
        if self.batch_size > 10 and self.batching_window_seconds < 1:
            raise ValueError("batchSize above 10 needs batchingWindowSeconds of at least 1")
        return self


# An Express execution runs at most 5 minutes (Standard: one year).
EXPRESS_MAX_SECONDS = 300


class WorkflowSettings(_Section):
    timeout_seconds: Annotated[int, Field(ge=10, le=31536000)] = 300
    # EXPRESS: at-least-once, billed by duration, history only in the execution logs, no
    # DescribeExecution / RedriveExecution (README, "Workflow type"). Every step is idempotent.
    type: Literal["STANDARD", "EXPRESS"] = "STANDARD"


class NotificationSettings(_Section):
    sender_email: Annotated[str, Field(pattern=r"^[^\s@]+@[^\s@]+\.[^\s@]+$")] = \
        "orders@example.com"
    # New accounts are in the SES sandbox: mail goes only to verified identities, and IAM is
    # checked on the recipient's identity too. False once production access is granted.
    ses_sandbox: bool = True


class ReportSettings(_Section):
    schedule: Annotated[str, Field(pattern=r"^(cron|rate)\(.+\)$")] = "cron(0 1 * * ? *)"


# -- stuck-order sweeper (issue 12) ----------------------------------------------------------

class SweeperSettings(_Section):
    """sweep-stuck-orders: how often it runs, and how long an unfinished order may go without
    a status change before it counts as stuck (and is re-driven)."""

    schedule: Annotated[str, Field(pattern=r"^(cron|rate)\(.+\)$")] = "rate(15 minutes)"
    stuck_after_minutes: Annotated[int, Field(ge=1, le=20160)] = 30


# -- end of the stuck-order sweeper ------------------------------------------------------------


class MonitoringSettings(_Section):
    alarm_email: Annotated[str | None, Field(pattern=r"^[^\s@]+@[^\s@]+\.[^\s@]+$")] = None
    period_seconds: Literal[60, 300, 900, 3600] = 300
    evaluation_periods: Annotated[int, Field(ge=1, le=100)] = 2
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=100)] = 2
    errors_threshold: Annotated[float, Field(ge=0)] = 5
    duration_statistic: Literal["Average", "p90", "p95", "p99"] = "p99"
    # Duration alarm threshold as a share of each function's timeout.
    duration_threshold_ratio: Annotated[float, Field(gt=0, le=1)] = 0.8
    throttles_threshold: Annotated[float, Field(ge=1)] = 1
    api_5xx_threshold: Annotated[float, Field(ge=0, alias="api5xxThreshold")] = 1
    api_latency_p99_ms: Annotated[float, Field(gt=0)] = 3000

    @field_validator("datapoints_to_alarm")
    @classmethod
    def _not_more_than_periods(cls, value: int, info) -> int:
        periods = info.data.get("evaluation_periods", value)
        if value > periods:
            raise ValueError(f"must be at most evaluationPeriods ({periods})")
        return value


class StackSettings(_Section):
    """All settings of one stack. Field names are the config keys in camelCase."""

    functions: FunctionClasses = FunctionClasses()
    architecture: Literal["arm64", "x86_64"] = "arm64"
    runtime: Literal["python3.11", "python3.12", "python3.13"] = "python3.13"
    log_retention_days: int = 14
    # The account's "Concurrent executions" quota for Lambda in this region (Service Quotas
    # L-B99A9384): new accounts have 10. Declared here so that provisioned concurrency that
    # the account cannot hold fails at preview, not halfway through `pulumi up`.
    lambda_concurrency_quota: Annotated[int, Field(ge=10)] = 10
    log_level: Literal["DEBUG", "INFO", "WARN", "ERROR"] = "INFO"
    tracing: bool = True
    protect_stateful_resources: bool = False
    # Days a destroyed KMS key waits before it is gone (AWS allows 7 to 30): dev's is the
    # shortest, so a destroyed dev leaves nothing behind for long.
    kms_deletion_window_days: Annotated[int, Field(ge=7, le=30)] = 7
    point_in_time_recovery: bool = True
    api: ApiSettings = ApiSettings()
    auth: AuthSettings = AuthSettings()
    events: EventSettings = EventSettings()
    queue: QueueSettings = QueueSettings()
    workflow: WorkflowSettings = WorkflowSettings()
    notifications: NotificationSettings = NotificationSettings()
    report: ReportSettings = ReportSettings()
    sweeper: SweeperSettings = SweeperSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    # Secret config (`pulumi config set --secret`); unset: the program generates a random key.
    payment_provider_key: Annotated[SecretStr | None, Field(min_length=1)] = None
    # Provider-wide tags from `aws:defaultTags`; read here so that required tags are checked.
    default_tags: dict[str, str] = {}

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return value

    @field_validator("api")
    @classmethod
    def _provisioned_within_quota(cls, api: ApiSettings, info) -> ApiSettings:
        quota = info.data.get("lambda_concurrency_quota", 10)
        total = sum(api.provisioned_concurrency.values())
        if total and total > quota - UNRESERVED_CONCURRENCY_MINIMUM:
            raise ValueError(
                f"provisionedConcurrency asks for {total} instances; with "
                f"{PROJECT}:lambdaConcurrencyQuota {quota} at most "
                f"{max(quota - UNRESERVED_CONCURRENCY_MINIMUM, 0)} fit (Lambda keeps "
                f"{UNRESERVED_CONCURRENCY_MINIMUM} unreserved): raise the quota first")
        return api

    @field_validator("workflow")
    @classmethod
    def _express_fits(cls, workflow: WorkflowSettings, info) -> WorkflowSettings:
        if workflow.type != "EXPRESS":
            return workflow
        from components.builders.workflow_definition import longest_step_seconds

        function_timeout = info.data.get("functions", FunctionClasses()).workflow.timeout
        step = longest_step_seconds(function_timeout)
        if workflow.timeout_seconds > EXPRESS_MAX_SECONDS or step > workflow.timeout_seconds:
            raise ValueError(
                f"workflow.type EXPRESS runs at most {EXPRESS_MAX_SECONDS} s: workflow."
                f"timeoutSeconds is {workflow.timeout_seconds} and one step with all its retries "
                f"may take {step} s (functions.workflow.timeout {function_timeout}): lower them "
                "or use STANDARD")
        return workflow

    @field_validator("sweeper")
    @classmethod
    def _express_sweep_after_end(cls, sweeper: SweeperSettings, info) -> SweeperSettings:
        # On Express the sweeper starts a new execution without looking the old one up: an
        # order counts as stuck only once any execution of it is surely over.
        workflow = info.data.get("workflow", WorkflowSettings())
        express = workflow.type == "EXPRESS"
        if express and sweeper.stuck_after_minutes * 60 <= workflow.timeout_seconds:
            raise ValueError(f"with workflow.type EXPRESS, stuckAfterMinutes must exceed "
                             f"workflow.timeoutSeconds ({workflow.timeout_seconds} s)")
        return sweeper

    @field_validator("payment_provider_key", mode="before")
    @classmethod
    def _key_as_text(cls, value: Any) -> Any:
        # Config values are parsed as JSON: give a numeric or JSON-object key back as its text
        # (and never echo a secret in a validation error).
        return value if value is None or isinstance(value, str) else json.dumps(value)

    @field_validator("default_tags")
    @classmethod
    def _required_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        missing = [t for t in REQUIRED_TAGS if t not in tags]
        if tags and missing:
            raise ValueError(f"aws:defaultTags.tags lacks required tags: {', '.join(missing)}")
        return tags

    def powertools_layer_arn(self, region: str) -> str:
        """The managed layer that ships the tested Powertools release (powertools_layers.json)."""
        return powertools_layer.layer_arn(self.runtime, self.architecture, region)


REQUIRED_TAGS = ("project", "environment")

# Domains reserved for documentation (RFC 2606/6761): an address there can never be verified
# by SES nor confirm an SNS subscription.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org", "example", "test",
                       "invalid", "localhost")
# The stack whose `pulumi up` refuses a placeholder address; `local` needs none.
PRODUCTION_STACK, LOCAL_STACK = "prod", "local"


def _is_placeholder(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


class ConfigError(Exception):
    """A stack config value is unknown, of the wrong type or out of range."""


def undeliverable_addresses(settings: "StackSettings", stack: str, preview: bool) -> list[str]:
    """Warnings for the sender and alarm addresses still on a placeholder domain, naming the
    key to set; on `pulumi up` of prod (not a preview) a ConfigError instead."""
    if stack == LOCAL_STACK:
        return []
    addresses = {f"{PROJECT}:notifications.senderEmail": settings.notifications.sender_email,
                 f"{PROJECT}:monitoring.alarmEmail": settings.monitoring.alarm_email}
    problems = [f"{key} is {value!r}, a placeholder that can never be verified: set it to a "
                f"real address (pulumi config set --path {key.partition(':')[2]} <address>)"
                for key, value in addresses.items() if value and _is_placeholder(value)]
    if problems and stack == PRODUCTION_STACK and not preview:
        raise ConfigError(f"refusing to deploy {stack}:\n  " + "\n  ".join(problems))
    return problems


def _parse(raw: Any) -> Any:
    """Pulumi passes structured config as JSON text and scalars as plain text."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _key_of(loc: tuple) -> str:
    head, *rest = [str(p) for p in loc]
    if head == "defaultTags":
        return "aws:defaultTags" + "".join(f".{p}" for p in rest)
    return f"{PROJECT}:{head}" + "".join(f".{p}" for p in rest)


def _allowed(loc: tuple) -> str:
    """The allowed range or values of the field at `loc`, from its declaration."""
    model: Any = StackSettings
    field = None
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return ""
        field = next((f for n, f in model.model_fields.items()
                      if part in (n, f.alias)), None)
        if field is None:
            return ""
        model = field.annotation
    bounds = {}
    for m in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds[attr] = f"{sign} {getattr(m, attr)}"
    return f"; allowed: {' and '.join(bounds.values())}" if bounds else ""


def settings_from_config(config: dict[str, Any]) -> StackSettings:
    """Build settings from a flat `{"project:key": value}` config map (as Pulumi holds it)."""
    values: dict[str, Any] = {}
    unknown = []
    for key, raw in config.items():
        namespace, _, name = key.partition(":")
        if namespace == PROJECT:
            if name not in StackSettings.model_fields and \
                    name not in {f.alias for f in StackSettings.model_fields.values()}:
                unknown.append(key)
            values[name] = _parse(raw)
        elif key == "aws:defaultTags":
            tags = _parse(raw)
            values["defaultTags"] = tags.get("tags", {}) if isinstance(tags, dict) else tags
    if unknown:
        known = ", ".join(f.alias or n for n, f in StackSettings.model_fields.items()
                          if n != "default_tags")
        raise ConfigError(f"unknown config key {', '.join(sorted(unknown))} (known keys: {known})")
    try:
        return StackSettings.model_validate(values)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            got = f" (got {e['input']!r})" if not isinstance(e["input"], dict) else ""
            problems.append(f"{_key_of(e['loc'])}: {e['msg']}{got}{_allowed(e['loc'])}")
        raise ConfigError("invalid stack config:\n  " + "\n  ".join(problems)) from None


def load_settings() -> StackSettings:
    """Read the running stack's whole config map (the engine's and the environment's)."""
    from pulumi.runtime import config as runtime_config

    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return settings_from_config(merged)
