"""A small platform for the monitoring tests: the users API plus an order-like component.

`OrdersLike` has what order components expose to `Monitoring` (functions, dead-letter queues,
a main queue and a state machine). `build(extra_function=True)` adds one more function to its
list, and nothing else, to show that `Monitoring` picks it up unchanged.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.builders.grants import assume_role_policy
from components.messaging import MessagingKey, MessagingKeyArgs, dead_letter_queue
from components.monitoring import Monitoring, MonitoringArgs
from components.python_function import (AsyncInvoke, FunctionDefaults, PythonFunction,
                                        PythonFunctionArgs)
from components.rest_api import RestApi, RestApiArgs
from components.user_pool import UserPool, UserPoolArgs
from components.tables import Protection
from components.user_api import UserApi, UserApiArgs
from stack_settings import load_settings

EXTRA_FUNCTION = "extra-function"


class OrdersLike(pulumi.ComponentResource):
    def __init__(self, name: str, defaults: FunctionDefaults, sizing, max_receive_count: int,
                 extra_function: bool) -> None:
        super().__init__("order-platform:tests:OrdersLike", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.dead_letter_queues = [dead_letter_queue("sample-order-dlq", parent=self),
                                   dead_letter_queue("sample-fan-out-failures", parent=self)]
        self.queue = aws.sqs.Queue("sample-order-queue", redrive_policy=self.dead_letter_queues[
            0].arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn,
                                                 "maxReceiveCount": max_receive_count})),
            opts=child)
        modules = ["lambdas/orders/process_order.py", "lambdas/workflow/validate_order.py"]
        if extra_function:
            modules.append("lambdas/orders/get_order.py")
        # Failed asynchronous invokes go to the second dead-letter queue.
        on_failure = AsyncInvoke(max_retry_attempts=2, max_event_age_seconds=3600,
                                 on_failure_queue_arn=self.dead_letter_queues[1].arn)
        self.functions = [
            PythonFunction(name, PythonFunctionArgs(module=module, service="orders",
                                                    sizing=sizing, defaults=defaults,
                                                    async_invoke=on_failure),
                           opts=child)
            for name, module in zip(["sample-process-order", "sample-validate-order",
                                     EXTRA_FUNCTION], modules)]
        role = aws.iam.Role("sample-workflow-role",
                            assume_role_policy=assume_role_policy("states.amazonaws.com"),
                            opts=child)
        self.state_machine = aws.sfn.StateMachine(
            "sample-workflow", role_arn=role.arn, name="sample-workflow",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            opts=child)
        self.register_outputs({})


def build(extra_function: bool) -> Monitoring:
    settings = load_settings()
    prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
    region = aws.get_region().region
    account_id = aws.get_caller_identity().account_id
    defaults = FunctionDefaults(
        name_prefix=prefix, runtime=settings.runtime, architecture=settings.architecture,
        log_retention_days=settings.log_retention_days, log_level=settings.log_level,
        tracing=settings.tracing, layers=[settings.powertools_layer_arn(region)])
    pool = UserPool("user-pool", UserPoolArgs(
        name_prefix=prefix, settings=settings.auth,
        protection=Protection(protect=False, point_in_time_recovery=False)))
    api = RestApi("api", RestApiArgs(name_prefix=prefix, settings=settings.api,
                                     log_retention_days=settings.log_retention_days,
                                     tracing=settings.tracing, user_pool_arns=[pool.arn]))
    users = UserApi("users", UserApiArgs(
        api=api, defaults=defaults, sizing=settings.functions.api,
        protection=Protection(protect=False, point_in_time_recovery=False),
        allowed_origins=settings.api.cors_allowed_origins,
        provisioned_concurrency=settings.api.provisioned_concurrency))
    orders = OrdersLike("orders", defaults, settings.functions.queue,
                        settings.queue.max_receive_count, extra_function)
    api.publish()
    messaging_key = MessagingKey("messaging", MessagingKeyArgs(account_id=account_id,
                                                               region=region))
    monitoring = Monitoring("monitoring", MonitoringArgs(
        name_prefix=prefix, region=region, account_id=account_id,
        settings=settings.monitoring, key=messaging_key,
        functions=[*users.functions, *orders.functions],
        dead_letter_queues=orders.dead_letter_queues, api=api,
        state_machine=orders.state_machine, queues=[orders.queue]))
    pulumi.export("DashboardName", monitoring.dashboard_name)
    pulumi.export("AlarmTopicArn", monitoring.alarm_topic_arn)
    return monitoring
