"""`DailyReport`: the reports table, the ops-reports topic and daily-report, run on a schedule
on the default bus.

daily-report stores each day's report and publishes a short summary of it to the encrypted
ops-reports topic, for the ops team to subscribe to (email, chat). The schedule target is wired
like the order bus targets (retries, maximum event age, DLQ) and the function's asynchronous
failures land in the same DLQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.grants import Allow, publish_to_encrypted_topic
from components.event_targets import Delivery, lambda_target, target_dead_letter_queue
from components.handlers import FunctionGroup, Handler, create_functions
from components.messaging import MessagingKey, encrypted_topic
from components.order_store import OrderStore
from components.python_function import AsyncInvoke, FunctionDefaults
from components.tables import Protection, table
from stack_settings import EventSettings, FunctionSizing, ReportSettings


@dataclass
class DailyReportArgs:
    defaults: FunctionDefaults
    sizing: FunctionSizing
    settings: ReportSettings
    delivery: EventSettings  # retries and event ages, as for the order bus targets
    store: OrderStore
    key: MessagingKey  # encrypts the ops-reports topic
    protection: Protection


class DailyReport(pulumi.ComponentResource):
    def __init__(self, name: str, args: DailyReportArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:DailyReport", name, None, opts)
        d = args.delivery
        self.reports_table = table("reports-table", hash_key="reportDate",
                                   protection=args.protection, parent=self)
        # The default bus is shared by every stack of the account: the rule name is prefixed.
        self.schedule = aws.cloudwatch.EventRule(
            "daily-report-schedule", name=f"{args.defaults.name_prefix}-daily-report",
            description="Builds the report of the previous day's orders",
            schedule_expression=args.settings.schedule,
            opts=pulumi.ResourceOptions(parent=self))
        self.dead_letter_queue = target_dead_letter_queue(
            "daily-report-dlq", [self.schedule], self, opts=args.protection.options(self))
        self.dead_letter_queues = [self.dead_letter_queue]
        # Only daily-report publishes here (through its role): no topic policy needed.
        self.ops_topic = encrypted_topic("ops-reports", args.key, parent=self)

        orders = args.store.orders_table
        self.function = create_functions(
            FunctionGroup("scheduled", args.sizing, args.defaults, async_invoke=AsyncInvoke(
                d.async_max_retry_attempts, d.async_max_event_age_seconds,
                self.dead_letter_queue.arn)),
            [Handler("daily-report", {"ORDERS_TABLE_NAME": orders.name,
                                      "REPORTS_TABLE_NAME": self.reports_table.name,
                                      "OPS_TOPIC_ARN": self.ops_topic.arn}, [
                Allow(["dynamodb:Query"], [args.store.by_created_date_arn]),
                Allow(["dynamodb:PutItem"], [self.reports_table.arn]),
                *publish_to_encrypted_topic(self.ops_topic.arn, args.key.arn)])],
            self)["daily-report"]
        self.functions = [self.function]
        self.target = lambda_target(
            "daily-report", self.schedule, self.function,
            Delivery(d.target_max_retry_attempts, d.target_max_event_age_seconds,
                     self.dead_letter_queue), self)
        self.register_outputs({"reports_table_name": self.reports_table.name,
                               "ops_topic_arn": self.ops_topic.arn})
