"""`OrderOutbox`: the transactional outbox of orders, an EventBridge Pipe from the orders
table's stream to the order bus.

create-order only writes the order; this pipe turns each INSERT of a PLACED order into one
`Order Placed` event (source `order.service`), the same event create-order used to publish.
The filter keeps inserts of PLACED orders; the enrichment function `order-placed-from-stream`
shapes the detail (an input template cannot turn the item's DynamoDB JSON list of line items
into plain JSON). A failed batch (enrichment or PutEvents) is retried, bisected, and after the
configured retries or record age its description goes to the pipe's DLQ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.event_patterns import ORDER_PLACED, ORDER_SOURCE
from components.builders.grants import Allow, assume_role_policy, policy_document
from components.handlers import FunctionGroup, Handler, create_functions
from components.messaging import dead_letter_queue
from components.order_store import OrderStore
from components.python_function import FunctionDefaults
from components.tables import Protection
from stack_settings import EventSettings, FunctionSizing

PIPES_SERVICE = "pipes.amazonaws.com"
# What a pipe reads a DynamoDB stream with, on the stream's ARN (the pipe is given the ARN, so
# ListStreams, which has no resource-level permission, is not needed).
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator",
                       "dynamodb:GetRecords")
# Stream records of new PLACED orders (an order is only ever inserted as PLACED).
PLACED_INSERTS = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["PLACED"]}}}}


@dataclass
class OrderOutboxArgs:
    defaults: FunctionDefaults
    sizing: FunctionSizing
    settings: EventSettings
    store: OrderStore
    bus: aws.cloudwatch.EventBus
    protection: Protection


class OrderOutbox(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrderOutboxArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:OrderOutbox", name, None, opts)
        s = args.settings
        orders = args.store.orders_table
        self.dead_letter_queue = dead_letter_queue("outbox-dlq", parent=self,
                                                   opts=args.protection.options(self))
        # Invoked synchronously by the pipe: no asynchronous invoke settings.
        self.functions_by_name = create_functions(
            FunctionGroup("events", args.sizing, args.defaults),
            [Handler("order-placed-from-stream", {})], self)
        self.functions = list(self.functions_by_name.values())
        enrichment = self.functions_by_name["order-placed-from-stream"]

        self.role = aws.iam.Role(
            "outbox-pipe-role", assume_role_policy=assume_role_policy(PIPES_SERVICE),
            description="Execution role of the order outbox pipe",
            opts=pulumi.ResourceOptions(parent=self))
        self.role_policy = aws.iam.RolePolicy(
            "outbox-pipe-access", role=self.role.id, policy=policy_document(
                Allow(STREAM_READ_ACTIONS, [orders.stream_arn]),
                Allow(["lambda:InvokeFunction"], [enrichment.arn]),
                Allow(["events:PutEvents"], [args.bus.arn]),
                Allow(["sqs:SendMessage"], [self.dead_letter_queue.arn])),
            opts=pulumi.ResourceOptions(parent=self))

        self.pipe = aws.pipes.Pipe(
            "order-outbox",
            name=f"{args.defaults.name_prefix}-order-outbox",
            description="Order Placed for every new order written to the orders table",
            role_arn=self.role.arn,
            source=orders.stream_arn,
            source_parameters=aws.pipes.PipeSourceParametersArgs(
                dynamodb_stream_parameters=aws.pipes.PipeSourceParametersDynamodbStreamParametersArgs(
                    starting_position="LATEST",
                    batch_size=s.outbox_batch_size,
                    maximum_retry_attempts=s.outbox_max_retry_attempts,
                    maximum_record_age_in_seconds=s.outbox_max_record_age_seconds,
                    # A poison record is isolated by halving its batch instead of blocking it.
                    on_partial_batch_item_failure="AUTOMATIC_BISECT",
                    dead_letter_config=aws.pipes.PipeSourceParametersDynamodbStreamParametersDeadLetterConfigArgs(
                        arn=self.dead_letter_queue.arn)),
                filter_criteria=aws.pipes.PipeSourceParametersFilterCriteriaArgs(filters=[
                    aws.pipes.PipeSourceParametersFilterCriteriaFilterArgs(
                        pattern=json.dumps(PLACED_INSERTS))])),
            enrichment=enrichment.arn,
            target=args.bus.arn,
            target_parameters=aws.pipes.PipeTargetParametersArgs(
                eventbridge_event_bus_parameters=aws.pipes.PipeTargetParametersEventbridgeEventBusParametersArgs(
                    source=ORDER_SOURCE, detail_type=ORDER_PLACED)),
            # The role must be able to read the stream before the pipe starts.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]))
        self.register_outputs({"pipe_arn": self.pipe.arn})
