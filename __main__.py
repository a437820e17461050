"""The order platform: composes the components from the stack settings and exports outputs."""

import pulumi
import pulumi_aws as aws

import powertools_layer

from components.daily_report import DailyReport, DailyReportArgs
from components.messaging import MessagingKey, MessagingKeyArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.order_api import OrderApi, OrderApiArgs
from components.order_events import OrderEvents, OrderEventsArgs
from components.order_queue import OrderQueue, OrderQueueArgs
from components.order_store import OrderStore, OrderStoreArgs
from components.order_sweeper import StuckOrderSweeper, StuckOrderSweeperArgs
from components.order_workflow import OrderWorkflow, OrderWorkflowArgs
from components.python_function import FunctionDefaults
from components.rest_api import RestApi, RestApiArgs
from components.sender_email import SenderEmail, SenderEmailArgs
from components.shared_code_layer import SharedCodeLayer, SharedCodeLayerArgs
from components.tables import Protection
from components.user_api import UserApi, UserApiArgs
from components.user_pool import UserPool, UserPoolArgs
from stack_settings import LOCAL_STACK, load_settings, undeliverable_addresses

# Fails with a message naming the key before any resource is registered.
settings = load_settings()
# Placeholder addresses: a warning at preview, a refusal at `pulumi up` of prod.
for warning in undeliverable_addresses(settings, pulumi.get_stack(), pulumi.runtime.is_dry_run()):
    pulumi.warn(warning)
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
region = aws.get_region().region
account_id = aws.get_caller_identity().account_id
# The local cloud runs the tested Powertools itself; AWS stacks run the managed layer.
if pulumi.get_stack() != LOCAL_STACK and \
        not powertools_layer.is_verified(settings.architecture, region):
    pulumi.warn(f"the Powertools layer {settings.powertools_layer_arn(region)} is not verified "
                f"to ship {powertools_layer.RELEASE}, the tested release: run "
                f"scripts/check_powertools_layer.py --region {region} (docs/first-deploy.md)")

shared_layer = SharedCodeLayer("shared-code", SharedCodeLayerArgs(
    name_prefix=prefix, runtime=settings.runtime, architecture=settings.architecture))
defaults = FunctionDefaults(
    name_prefix=prefix,
    runtime=settings.runtime,
    architecture=settings.architecture,
    log_retention_days=settings.log_retention_days,
    log_level=settings.log_level,
    tracing=settings.tracing,
    layers=[shared_layer.arn, settings.powertools_layer_arn(region)],
)
protection = Protection(protect=settings.protect_stateful_resources,
                        point_in_time_recovery=settings.point_in_time_recovery)
functions = settings.functions
messaging_key = MessagingKey("messaging-key", MessagingKeyArgs(
    account_id=account_id, region=region,
    deletion_window_days=settings.kms_deletion_window_days))

# Who may call the API: every route requires an ID token of this pool.
user_pool = UserPool("user-pool", UserPoolArgs(name_prefix=prefix, settings=settings.auth,
                                               protection=protection))
api = RestApi("api", RestApiArgs(name_prefix=prefix, settings=settings.api,
                                 log_retention_days=settings.log_retention_days,
                                 tracing=settings.tracing, user_pool_arns=[user_pool.arn]))
users = UserApi("users", UserApiArgs(
    api=api, defaults=defaults, sizing=functions.api, protection=protection,
    allowed_origins=settings.api.cors_allowed_origins,
    provisioned_concurrency=settings.api.provisioned_concurrency))

# The order side, in dependency order: store -> workflow -> queue -> events -> API -> report.
store = OrderStore("orders", OrderStoreArgs(protection=protection))
sender = SenderEmail("sender-email", SenderEmailArgs(
    email=settings.notifications.sender_email, region=region, account_id=account_id,
    sandbox=settings.notifications.ses_sandbox))
key = settings.payment_provider_key
workflow = OrderWorkflow("order-workflow", OrderWorkflowArgs(
    defaults=defaults, sizing=functions.workflow, store=store, sender=sender,
    protection=protection, timeout_seconds=settings.workflow.timeout_seconds,
    workflow_type=settings.workflow.type,
    max_order_amount=settings.api.max_order_amount,
    payment_provider_key=key.get_secret_value() if key else None))
order_queue = OrderQueue("order-queue", OrderQueueArgs(
    defaults=defaults, sizing=functions.queue, settings=settings.queue, store=store,
    state_machine_arn=workflow.arn, protection=protection))
events = OrderEvents("order-events", OrderEventsArgs(
    defaults=defaults, sizing=functions.event, settings=settings.events, store=store,
    order_queue=order_queue, inventory_table=workflow.inventory_table, sender=sender,
    key=messaging_key, protection=protection))
orders_api = OrderApi("order-api", OrderApiArgs(
    api=api, defaults=defaults, sizing=functions.api, store=store,
    users_table=users.table,
    allowed_origins=settings.api.cors_allowed_origins,
    provisioned_concurrency=settings.api.provisioned_concurrency,
    max_order_amount=settings.api.max_order_amount))
# After every route: the deployment snapshots the API as it is now.
stage = api.publish()
report = DailyReport("daily-report", DailyReportArgs(
    defaults=defaults, sizing=functions.scheduled, settings=settings.report,
    delivery=settings.events, store=store, key=messaging_key, protection=protection))
sweeper = StuckOrderSweeper("stuck-order-sweeper", StuckOrderSweeperArgs(
    defaults=defaults, sizing=functions.scheduled, settings=settings.sweeper,
    delivery=settings.events, store=store, event_bus=events.bus,
    state_machine=workflow.state_machine, workflow_type=settings.workflow.type,
    notify_function=workflow.functions_by_name["notify-customer"], protection=protection))

# Last: alarms and dashboard for every function and dead-letter queue of the components above.
monitored = [users, workflow, order_queue, events, orders_api, report, sweeper]
monitoring = Monitoring("monitoring", MonitoringArgs(
    name_prefix=prefix, region=region, account_id=account_id, settings=settings.monitoring,
    key=messaging_key, functions=[fn for c in monitored for fn in c.functions],
    dead_letter_queues=[*order_queue.dead_letter_queues, *events.dead_letter_queues,
                        *report.dead_letter_queues, *sweeper.dead_letter_queues],
    api=api, state_machine=workflow.state_machine, queues=[order_queue.queue],
    stuck_orders=sweeper.metric))

pulumi.export("ApiUrl", api.url)
pulumi.export("UserPoolId", user_pool.pool.id)
pulumi.export("UserPoolClientId", user_pool.client.id)
pulumi.export("UsersTableName", users.table.name)
pulumi.export("EventBusArn", events.bus.arn)
pulumi.export("StateMachineArn", workflow.arn)
pulumi.export("OrderQueueUrl", order_queue.queue.url)
pulumi.export("OrderDlqUrl", order_queue.dead_letter_queue.url)
pulumi.export("OrdersTableName", store.orders_table.name)
pulumi.export("InventoryTableName", workflow.inventory_table.name)
pulumi.export("PaymentsTableName", workflow.payments_table.name)
pulumi.export("AlertTopicArn", events.alert_topic.arn)
pulumi.export("WarehouseTopicArn", events.warehouse_topic.arn)
pulumi.export("FanoutFailureQueueUrl", events.fanout_failures.url)
pulumi.export("ReportsTableName", report.reports_table.name)
pulumi.export("OpsTopicArn", report.ops_topic.arn)
pulumi.export("DailyReportRuleName", report.schedule.name)
pulumi.export("DashboardName", monitoring.dashboard_name)
pulumi.export("AlarmTopicArn", monitoring.alarm_topic_arn)
