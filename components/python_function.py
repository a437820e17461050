"""`PythonFunction`: everything every Lambda function of the platform needs, in one place.

Role with a Lambda trust policy, a managed log group (retention from config) wired through
`logging_config`, X-Ray when enabled, packaging of only the function's own module (shared code
comes from the shared-code layer), the managed Powertools layer, sizing from config, and the
asynchronous-invocation settings when the function is invoked asynchronously.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

from components.builders import packaging
from components.builders.grants import (LOG_WRITE_ACTIONS, XRAY_ACTIONS, Allow,
                                        assume_role_policy, policy_document)
from stack_settings import FunctionSizing


@dataclass(frozen=True)
class FunctionDefaults:
    """What all functions of a stack share, derived once from the stack settings."""

    name_prefix: str
    runtime: str
    architecture: str
    log_retention_days: int
    log_level: str
    tracing: bool
    layers: list[pulumi.Input[str]]
    metrics_namespace: str = "OrderPlatform"


@dataclass(frozen=True)
class AsyncInvoke:
    """Retries, maximum event age and on-failure destination (an SQS queue) of async invokes."""

    max_retry_attempts: int
    max_event_age_seconds: int
    on_failure_queue_arn: pulumi.Input[str]


@dataclass
class PythonFunctionArgs:
    module: str  # e.g. "lambdas/users/get_user.py"
    service: str  # Powertools service name: the function's area
    sizing: FunctionSizing
    defaults: FunctionDefaults
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    async_invoke: Optional[AsyncInvoke] = None
    provisioned_concurrency: int = 0
    description: str = ""


class PythonFunction(pulumi.ComponentResource):
    """A Python Lambda function with its role, log group and invoke settings."""

    def __init__(self, name: str, args: PythonFunctionArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:PythonFunction", name, None, opts)
        self.logical_name = name
        self.timeout = args.sizing.timeout
        d = args.defaults
        function_name = f"{d.name_prefix}-{name}"
        child = pulumi.ResourceOptions(parent=self)

        self.role = aws.iam.Role(f"{name}-role", assume_role_policy=assume_role_policy(
            "lambda.amazonaws.com"), description=f"Execution role of {function_name}",
            opts=child)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{function_name}",
            retention_in_days=d.log_retention_days, opts=child)

        # The function's own logs and traces; created before the function so that the first
        # invocation can already write (and Active tracing does not fail at create).
        base = [Allow(LOG_WRITE_ACTIONS, [self.log_group.arn.apply(lambda a: f"{a}:*")])]
        if d.tracing:
            base.append(Allow(XRAY_ACTIONS, ["*"]))
        base_policy = self.allow("base", *base)

        environment = {
            "POWERTOOLS_SERVICE_NAME": args.service,
            "POWERTOOLS_METRICS_NAMESPACE": d.metrics_namespace,
            **({} if d.tracing else {"POWERTOOLS_TRACE_DISABLED": "true"}),
            **args.environment,
        }
        self.function = aws.lambda_.Function(
            name,
            name=function_name,
            description=args.description or f"{name} ({args.module})",
            role=self.role.arn,
            runtime=d.runtime,
            architectures=[d.architecture],
            handler=packaging.handler_for(args.module),
            code=packaging.archive(packaging.function_files(args.module)),
            layers=d.layers,
            memory_size=args.sizing.memory,
            timeout=args.sizing.timeout,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name,
                application_log_level=d.log_level, system_log_level="WARN"),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(
                mode="Active" if d.tracing else "PassThrough"),
            publish=args.provisioned_concurrency > 0,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, base_policy]),
        )
        self.name = self.function.name
        self.arn = self.function.arn
        self.invoke_arn = self.function.invoke_arn
        self.alias = None
        if args.provisioned_concurrency > 0:
            self._add_provisioned_alias(name, args.provisioned_concurrency)

        self.event_invoke_config = None
        if args.async_invoke is not None:
            self._configure_async(name, args.async_invoke)

        self.register_outputs({"name": self.name, "arn": self.arn})

    def _add_provisioned_alias(self, name: str, concurrency: int) -> None:
        """Warm instances live on an alias; callers then invoke the alias, not $LATEST."""
        self.alias = aws.lambda_.Alias(
            f"{name}-live", name="live", function_name=self.function.name,
            function_version=self.function.version, opts=pulumi.ResourceOptions(parent=self))
        aws.lambda_.ProvisionedConcurrencyConfig(
            f"{name}-provisioned", function_name=self.function.name,
            qualifier=self.alias.name, provisioned_concurrent_executions=concurrency,
            opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.alias.arn
        self.invoke_arn = self.alias.invoke_arn

    def _configure_async(self, name: str, config: AsyncInvoke) -> None:
        on_failure = self.allow("on-failure", Allow(["sqs:SendMessage"],
                                                    [config.on_failure_queue_arn]))
        self.event_invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=self.function.name,
            maximum_retry_attempts=config.max_retry_attempts,
            maximum_event_age_in_seconds=config.max_event_age_seconds,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=config.on_failure_queue_arn)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[on_failure]))

    def allow(self, purpose: str, *statements: Allow) -> aws.iam.RolePolicy:
        """Grant the function exactly these actions on these resources (one inline policy)."""
        return aws.iam.RolePolicy(
            f"{self.logical_name}-{purpose}", role=self.role.id,
            policy=policy_document(*statements), opts=pulumi.ResourceOptions(parent=self))
