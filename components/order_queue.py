"""`OrderQueue`: the order queue, its dead-letter queue and `process-order`, which consumes it
in batches (reporting partial failures) and starts one workflow execution per order.

EventBridge sends to the queue through the order-placed rule; that rule, and so the queue's one
policy, is made by `OrderEvents`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.grants import SQS_CONSUMER_ACTIONS, Allow
from components.handlers import FunctionGroup, Handler, create_functions
from components.messaging import dead_letter_queue
from components.order_store import OrderStore
from components.python_function import FunctionDefaults
from components.tables import Protection
from stack_settings import FunctionSizing, QueueSettings

# Lambda's guidance for SQS sources: at least six times the function timeout (plus the batching
# window), so a message is not redelivered while a retried batch is still running.
VISIBILITY_TIMEOUT_FACTOR = 6


@dataclass
class OrderQueueArgs:
    defaults: FunctionDefaults
    sizing: FunctionSizing
    settings: QueueSettings
    store: OrderStore
    state_machine_arn: pulumi.Input[str]
    protection: Protection


def visibility_timeout(function_timeout: int, batching_window: int) -> int:
    return VISIBILITY_TIMEOUT_FACTOR * function_timeout + batching_window


class OrderQueue(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrderQueueArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:OrderQueue", name, None, opts)
        s = args.settings
        orders = args.store.orders_table
        # Orders waiting here (or parked in the DLQ) are data: protected where the stack says.
        stateful = args.protection.options(self)
        self.dead_letter_queue = dead_letter_queue("order-dlq", parent=self, opts=stateful)
        self.dead_letter_queues = [self.dead_letter_queue]
        self.queue = aws.sqs.Queue(
            "order-queue",
            visibility_timeout_seconds=visibility_timeout(args.sizing.timeout,
                                                          s.batching_window_seconds),
            sqs_managed_sse_enabled=True,
            redrive_policy=pulumi.Output.json_dumps({
                "deadLetterTargetArn": self.dead_letter_queue.arn,
                "maxReceiveCount": s.max_receive_count,
            }),
            opts=stateful)

        self.process_order = create_functions(
            FunctionGroup("orders", args.sizing, args.defaults),
            [Handler("process-order",
                     {"ORDERS_TABLE_NAME": orders.name,
                      "STATE_MACHINE_ARN": args.state_machine_arn},
                     [Allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [orders.arn]),
                      Allow(["states:StartExecution"], [args.state_machine_arn])])],
            self)["process-order"]
        self.functions = [self.process_order]

        # The mapping polls with the function's role: it must exist before the mapping does.
        self.consumer_policy = self.process_order.allow(
            "order-queue", Allow(SQS_CONSUMER_ACTIONS, [self.queue.arn]))
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            "process-order-mapping",
            event_source_arn=self.queue.arn,
            function_name=self.process_order.function.arn,
            batch_size=s.batch_size,
            maximum_batching_window_in_seconds=s.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=s.maximum_concurrency),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.consumer_policy]))
        self.register_outputs({"queue_url": self.queue.url,
                               "dead_letter_queue_url": self.dead_letter_queue.url})
