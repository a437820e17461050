"""`StuckOrderSweeper`: sweep-stuck-orders on a schedule (default bus), with its DLQ, and the
metric it publishes for the StuckOrders alarm.

The function finds unfinished orders older than `sweeper.stuckAfterMinutes` through the orders
table's by-status index (never a Scan) and re-drives them: `Order Placed` again for a PLACED
order, StartExecution / RedriveExecution of the order's execution (named after the order)
otherwise, and an asynchronous notify-customer for a confirmed order whose email is pending.
Its role may do exactly that and nothing else. The schedule is wired like daily-report's
(`components/schedules.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.alarms import EmfMetric
from components.builders.grants import Allow
from components.handlers import FunctionGroup, Handler, create_functions
from components.order_store import OrderStore
from components.python_function import FunctionDefaults, PythonFunction
from components.schedules import schedule
from components.tables import Protection
from stack_settings import EventSettings, FunctionSizing, SweeperSettings

AREA = "scheduled"
STUCK_ORDERS_METRIC = "StuckOrders"


@dataclass
class StuckOrderSweeperArgs:
    defaults: FunctionDefaults
    sizing: FunctionSizing
    settings: SweeperSettings
    delivery: EventSettings  # retries and event ages, as for the order bus targets
    store: OrderStore
    event_bus: aws.cloudwatch.EventBus  # where `Order Placed` is published again
    state_machine: aws.sfn.StateMachine
    notify_function: PythonFunction  # sends a pending confirmation email
    protection: Protection
    # EXPRESS executions cannot be described nor redriven: the sweeper only starts new ones.
    workflow_type: str = "STANDARD"


class StuckOrderSweeper(pulumi.ComponentResource):
    def __init__(self, name: str, args: StuckOrderSweeperArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:StuckOrderSweeper", name, None, opts)
        runs = schedule(
            "sweep-stuck-orders", name_prefix=args.defaults.name_prefix,
            description="Finds and re-drives orders that stopped short of a final status",
            expression=args.settings.schedule, delivery=args.delivery,
            protection=args.protection, parent=self)
        self.schedule, self.dead_letter_queue = runs.rule, runs.dead_letter_queue
        self.dead_letter_queues = [self.dead_letter_queue]

        machine = args.state_machine
        executions = machine.arn.apply(
            lambda arn: arn.replace(":stateMachine:", ":execution:", 1) + ":*")
        notify = args.notify_function
        express = args.workflow_type == "EXPRESS"
        lookups = [] if express else [
            Allow(["states:DescribeExecution", "states:RedriveExecution"], [executions])]
        self.function = create_functions(
            FunctionGroup(AREA, args.sizing, args.defaults, async_invoke=runs.async_invoke()),
            [Handler("sweep-stuck-orders", {
                "ORDERS_TABLE_NAME": args.store.orders_table.name,
                "EVENT_BUS_NAME": args.event_bus.name,
                "STATE_MACHINE_ARN": machine.arn,
                "NOTIFY_FUNCTION_NAME": notify.name,
                "STUCK_AFTER_MINUTES": str(args.settings.stuck_after_minutes),
                "WORKFLOW_TYPE": args.workflow_type}, [
                Allow(["dynamodb:Query"], [args.store.by_status_arn,
                                           args.store.awaiting_email_arn]),
                Allow(["events:PutEvents"], [args.event_bus.arn]),
                Allow(["states:StartExecution"], [machine.arn]),
                *lookups,
                Allow(["lambda:InvokeFunction"], [notify.function.arn])])],
            self)["sweep-stuck-orders"]
        self.functions = [self.function]
        self.target = runs.target(self.function, self)
        # What the StuckOrders alarm watches (Powertools' namespace and `service` dimension).
        self.metric = EmfMetric(args.defaults.metrics_namespace, STUCK_ORDERS_METRIC, AREA)
        self.register_outputs({"function_name": self.function.name})
