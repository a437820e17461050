"""`Monitoring`: the alarm topic, the platform's alarms and the operations dashboard.

Everything is derived from what the other components expose (their `functions` and
`dead_letter_queues`, the REST API and its stage, the workflow's state machine): a function or
queue added to any component gets its alarms and dashboard lines with no change here.

- Alarm topic: encrypted with the platform's customer KMS key (`MessagingKey`, whose policy lets
  `cloudwatch.amazonaws.com` use it; the AWS-managed SNS key would silently drop alarm
  notifications). Its policy lets CloudWatch publish only from this stack's alarms: the
  `aws:SourceArn` condition lists the exact ARN of every alarm built here (their names are
  fixed, so the ARNs are known before the alarms exist).
- Email: when `monitoring.alarmEmail` is set, the topic gets an email subscription. AWS sends a
  confirmation message to that address, and the subscription stays *pending confirmation*
  (no alarm is delivered) until a person clicks the link in it. Confirm it after the first
  `pulumi up` of each stack.
- Alarms (see `components/builders/alarms.py`): per function Errors, Duration and Throttles;
  per dead-letter queue "not empty"; API 5XX and p99 latency; failed workflow executions; stuck
  orders (the sweeper's `StuckOrders`, with its own dashboard graph). Missing
  data is not breaching; every alarm notifies the topic when it fires and when it recovers.
- Dashboard `<prefix>-operations` (see `components/builders/dashboard.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.builders.alarms import (AlarmSpec, EmfMetric, alarm_arns, api_alarms,
                                        dead_letter_alarm, function_alarms, stuck_orders_alarm,
                                        workflow_alarm)
from components.builders.dashboard import DashboardSources, dashboard_body
from components.messaging import MessagingKey, ServiceSender, encrypted_topic
from components.python_function import PythonFunction
from components.rest_api import RestApi
from stack_settings import MonitoringSettings


@dataclass
class MonitoringArgs:
    name_prefix: str  # alarms are `<prefix>-<key>`, the dashboard `<prefix>-operations`
    region: str
    account_id: str
    settings: MonitoringSettings
    key: MessagingKey  # encrypts the alarm topic
    functions: Sequence[PythonFunction]
    dead_letter_queues: Sequence[aws.sqs.Queue] = ()
    api: Optional[RestApi] = None  # published (its `stage` exists)
    state_machine: Optional[aws.sfn.StateMachine] = None
    # Further queues shown on the dashboard's depth graph without an alarm (the order queue).
    queues: Sequence[aws.sqs.Queue] = ()
    # The sweeper's StuckOrders metric: an alarm when orders stay stuck, and a graph.
    stuck_orders: Optional[EmfMetric] = None


def _unique(items: Sequence) -> list:
    """The same resource listed by two components is monitored once."""
    return list(dict.fromkeys(items))


class Monitoring(pulumi.ComponentResource):
    """Alarm topic, alarms and dashboard of the platform, from the stack's monitoring settings."""

    def __init__(self, name: str, args: MonitoringArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        if args.api is not None and getattr(args.api, "stage", None) is None:
            raise ValueError("Monitoring needs a published RestApi: call publish() first")
        super().__init__("order-platform:components:Monitoring", name, None, opts)
        s = args.settings
        functions = _unique(args.functions)
        dead_letter_queues = _unique(args.dead_letter_queues)

        specs: list[AlarmSpec] = [spec for fn in functions for spec in function_alarms(fn, s)]
        specs += [dead_letter_alarm(queue) for queue in dead_letter_queues]
        if args.api is not None:
            specs += api_alarms(args.api.api.name, args.api.stage.stage_name, s)
        if args.state_machine is not None:
            specs.append(workflow_alarm(args.state_machine))
        stuck = args.stuck_orders
        if stuck is not None:
            specs.append(stuck_orders_alarm(stuck, s))

        self.topic = encrypted_topic(f"{name}-alarms", args.key, parent=self, senders=[
            ServiceSender("cloudwatch.amazonaws.com",
                          alarm_arns(args.name_prefix, args.region, args.account_id, specs))])
        self.email_subscription: Optional[aws.sns.TopicSubscription] = None
        if s.alarm_email:
            # Pending until the recipient confirms it (see the module docstring).
            self.email_subscription = aws.sns.TopicSubscription(
                f"{name}-alarm-email", topic=self.topic.arn, protocol="email",
                endpoint=s.alarm_email, opts=pulumi.ResourceOptions(parent=self))

        self.alarms = [self._alarm(name, args.name_prefix, spec, s.period_seconds)
                       for spec in specs]

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=f"{args.name_prefix}-operations",
            dashboard_body=pulumi.Output.json_dumps(dashboard_body(DashboardSources(
                region=args.region, period=s.period_seconds,
                duration_statistic=s.duration_statistic,
                function_names=[fn.name for fn in functions],
                queue_names=[q.name for q in _unique([*dead_letter_queues, *args.queues])],
                api_name=args.api.api.name if args.api else None,
                stage_name=args.api.stage.stage_name if args.api else None,
                state_machine_arns=[args.state_machine.arn] if args.state_machine else [],
                stuck_orders_metric=[stuck.namespace, stuck.name, "service", stuck.service]
                if stuck else None,
                alarm_arns=[alarm.arn for alarm in self.alarms]))),
            opts=pulumi.ResourceOptions(parent=self))

        self.alarm_topic_arn = self.topic.arn
        self.dashboard_name = self.dashboard.dashboard_name
        self.register_outputs({"alarm_topic_arn": self.alarm_topic_arn,
                               "dashboard_name": self.dashboard_name})

    def _alarm(self, name: str, prefix: str, spec: AlarmSpec,
               period: int) -> aws.cloudwatch.MetricAlarm:
        actions = [self.topic.arn]
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.key}",
            name=f"{prefix}-{spec.key}",
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions=dict(spec.dimensions),
            # Percentiles go to `extended_statistic`; the two are mutually exclusive.
            statistic=None if spec.percentile else spec.statistic,
            extended_statistic=spec.statistic if spec.percentile else None,
            period=period,
            comparison_operator=spec.comparison,
            threshold=spec.threshold,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            opts=pulumi.ResourceOptions(parent=self))
