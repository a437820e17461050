"""`OrderEvents`: the order bus and its rules.

`order-placed` fans out to send-email, update-inventory and notify-warehouse (asynchronous Lambda
targets) and to the order queue; `high-value-order` (amount above the configured threshold)
alerts an SNS topic. Every target retries and dead-letters undeliverable events to one target
DLQ; failures inside the three functions go to the fan-out failures queue. The bus is fed by
the order outbox (`OrderOutbox`: the orders table's stream through a pipe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.event_patterns import json_number, order_placed_pattern
from components.builders.grants import IDEMPOTENCY_ACTIONS, Allow, publish_to_encrypted_topic
from components.event_targets import (EVENTS_SERVICE, Delivery, lambda_target, target,
                                      target_dead_letter_queue)
from components.handlers import FunctionGroup, Handler, create_functions
from components.messaging import (MessagingKey, ServiceSender, allow_senders,
                                  dead_letter_queue, encrypted_topic)
from components.order_outbox import OrderOutbox, OrderOutboxArgs
from components.order_queue import OrderQueue
from components.order_store import OrderStore
from components.python_function import AsyncInvoke, FunctionDefaults
from components.sender_email import SenderEmail
from components.tables import Protection
from stack_settings import EventSettings, FunctionSizing


@dataclass
class OrderEventsArgs:
    defaults: FunctionDefaults
    sizing: FunctionSizing
    settings: EventSettings
    store: OrderStore
    order_queue: OrderQueue
    inventory_table: aws.dynamodb.Table
    sender: SenderEmail
    key: MessagingKey
    protection: Protection


class OrderEvents(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrderEventsArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:OrderEvents", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        # Prefixed: the stacks of one account and region each get their own bus.
        self.bus = aws.cloudwatch.EventBus(
            "order-bus", name=f"{args.defaults.name_prefix}-{s.bus_name}", opts=child)
        self.order_placed_rule = aws.cloudwatch.EventRule(
            "order-placed", name="order-placed", event_bus_name=self.bus.name,
            description="An order was placed: notify, count demand, queue for the workflow",
            event_pattern=order_placed_pattern(), opts=child)
        self.high_value_rule = aws.cloudwatch.EventRule(
            "high-value-order", name="high-value-order", event_bus_name=self.bus.name,
            description=f"An order above {json_number(s.high_value_threshold)} was placed",
            # Numeric matching applies to JSON numbers only (the event's amount is one).
            event_pattern=order_placed_pattern(
                amount=[{"numeric": [">", json_number(s.high_value_threshold)]}]),
            opts=child)

        stateful = args.protection.options(self)
        self.target_dead_letter_queue = target_dead_letter_queue(
            "order-events-dlq", [self.order_placed_rule, self.high_value_rule], self,
            opts=stateful)
        # Where Lambda puts events the fan-out functions failed on after their retries.
        self.fanout_failures = dead_letter_queue("fanout-failures", parent=self, opts=stateful)
        self.dead_letter_queues = [self.target_dead_letter_queue, self.fanout_failures]
        delivery = Delivery(s.target_max_retry_attempts, s.target_max_event_age_seconds,
                            self.target_dead_letter_queue)

        self.alert_topic = encrypted_topic(
            "high-value-alerts", args.key, parent=self,
            senders=[ServiceSender(EVENTS_SERVICE, [self.high_value_rule.arn])])
        self.warehouse_topic = encrypted_topic("warehouse", args.key, parent=self)

        self.functions_by_name = create_functions(
            FunctionGroup("events", args.sizing, args.defaults, async_invoke=AsyncInvoke(
                s.async_max_retry_attempts, s.async_max_event_age_seconds,
                self.fanout_failures.arn)),
            self._handlers(args), self)
        # Every order placed reaches the bus through the outbox.
        self.outbox = OrderOutbox("order-outbox", OrderOutboxArgs(
            defaults=args.defaults, sizing=args.sizing, settings=s, store=args.store,
            bus=self.bus, protection=args.protection), opts=child)
        self.dead_letter_queues.append(self.outbox.dead_letter_queue)
        self.functions = [*self.functions_by_name.values(), *self.outbox.functions]

        self.targets = [lambda_target(fn_name, self.order_placed_rule, fn, delivery, self)
                        for fn_name, fn in self.functions_by_name.items()]
        # The order queue's one policy (see OrderQueue): EventBridge, for this rule only.
        queue = args.order_queue.queue
        self.order_queue_policy = allow_senders(
            "order-queue-policy", queue,
            [ServiceSender(EVENTS_SERVICE, [self.order_placed_rule.arn])], parent=self)
        self.targets.append(target("order-queue", self.order_placed_rule, queue.arn, delivery,
                                   self, depends_on=[self.order_queue_policy]))
        self.targets.append(target("high-value-alerts", self.high_value_rule,
                                   self.alert_topic.arn, delivery, self))

        self.register_outputs({"event_bus_arn": self.bus.arn,
                               "alert_topic_arn": self.alert_topic.arn,
                               "warehouse_topic_arn": self.warehouse_topic.arn})

    def _handlers(self, args: OrderEventsArgs) -> list[Handler]:
        idempotency = args.store.idempotency_table
        inventory = args.inventory_table
        topic = self.warehouse_topic
        remember = Allow(IDEMPOTENCY_ACTIONS, [idempotency.arn])
        env = {"IDEMPOTENCY_TABLE_NAME": idempotency.name}
        return [
            Handler("send-email", {**env, "SENDER_EMAIL": args.sender.email}, [
                args.sender.send_grant, remember]),
            Handler("update-inventory", {**env, "INVENTORY_TABLE_NAME": inventory.name}, [
                # One TransactWriteItems of updates (ADD demand) on the inventory table.
                Allow(["dynamodb:UpdateItem"], [inventory.arn]), remember]),
            Handler("notify-warehouse", {**env, "WAREHOUSE_TOPIC_ARN": topic.arn}, [
                *publish_to_encrypted_topic(topic.arn, args.key.arn), remember]),
        ]
