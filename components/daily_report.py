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

from components.builders.grants import Allow, publish_to_encrypted_topic
from components.handlers import FunctionGroup, Handler, create_functions
from components.messaging import MessagingKey, encrypted_topic
from components.order_store import OrderStore
from components.python_function import FunctionDefaults
from components.schedules import schedule
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
        self.reports_table = table("reports-table", hash_key="reportDate",
                                   protection=args.protection, parent=self)
        runs = schedule(
            "daily-report", name_prefix=args.defaults.name_prefix,
            description="Builds the report of the previous day's orders",
            expression=args.settings.schedule, delivery=args.delivery,
            protection=args.protection, parent=self)
        self.schedule, self.dead_letter_queue = runs.rule, runs.dead_letter_queue
        self.dead_letter_queues = [self.dead_letter_queue]
        # Only daily-report publishes here (through its role): no topic policy needed.
        self.ops_topic = encrypted_topic("ops-reports", args.key, parent=self)

        orders = args.store.orders_table
        self.function = create_functions(
            FunctionGroup("scheduled", args.sizing, args.defaults,
                          async_invoke=runs.async_invoke()),
            [Handler("daily-report", {"ORDERS_TABLE_NAME": orders.name,
                                      "REPORTS_TABLE_NAME": self.reports_table.name,
                                      "OPS_TOPIC_ARN": self.ops_topic.arn}, [
                Allow(["dynamodb:Query"], [args.store.by_created_date_arn]),
                Allow(["dynamodb:PutItem"], [self.reports_table.arn]),
                *publish_to_encrypted_topic(self.ops_topic.arn, args.key.arn)])],
            self)["daily-report"]
        self.functions = [self.function]
        self.target = runs.target(self.function, self)
        self.register_outputs({"reports_table_name": self.reports_table.name,
                               "ops_topic_arn": self.ops_topic.arn})
