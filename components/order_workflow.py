"""`OrderWorkflow`: the order workflow (Step Functions), its five functions, the payments and
inventory tables and the payment provider key.

The definition itself is built in `builders/workflow_definition.py`; this module deploys it
with a role that may invoke exactly its functions, X-Ray when tracing, and logging to a vended
log group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.grants import (IDEMPOTENCY_ACTIONS, XRAY_ACTIONS, Allow,
                                        assume_role_policy, policy_document)
from components.builders.workflow_definition import FUNCTIONS, order_workflow
from components.handlers import FunctionGroup, Handler, create_functions
from components.order_store import OrderStore
from components.python_function import FunctionDefaults
from components.sender_email import SenderEmail
from components.tables import Protection, table
from stack_settings import FunctionSizing

# Step Functions also reads the sampling rules when it traces.
STATES_XRAY_ACTIONS = (*XRAY_ACTIONS, "xray:GetSamplingRules", "xray:GetSamplingTargets")
# What Step Functions needs to deliver execution logs to CloudWatch Logs; these actions do not
# support resource-level permissions.
LOG_DELIVERY_ACTIONS = ("logs:CreateLogDelivery", "logs:GetLogDelivery",
                        "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                        "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue",)


@dataclass
class OrderWorkflowArgs:
    defaults: FunctionDefaults
    sizing: FunctionSizing
    store: OrderStore
    sender: SenderEmail
    protection: Protection
    timeout_seconds: int
    # STANDARD or EXPRESS (stack_settings.WorkflowSettings.type).
    workflow_type: str = "STANDARD"
    # validate-order enforces it again (api.maxOrderAmount): the workflow trusts no input.
    max_order_amount: int = 1_000_000
    # The provider key from secret config; None: a random key is generated once.
    payment_provider_key: Optional[str] = None


def execution_log_level(function_log_level: str) -> str:
    """ALL where the stack logs at INFO or below (dev, local: follow every step), ERROR
    otherwise (prod: failures only). No stack logs the execution data (payment tokens)."""
    return "ALL" if function_log_level in ("DEBUG", "INFO") else "ERROR"


class OrderWorkflow(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrderWorkflowArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:OrderWorkflow", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.defaults.name_prefix
        self.payments_table = table("payments-table", hash_key="orderId",
                                    protection=args.protection, parent=self)
        self.inventory_table = table("inventory-table", hash_key="productId",
                                     protection=args.protection, parent=self)
        self._create_payment_secret(prefix, args.payment_provider_key)

        self.functions_by_name = create_functions(
            FunctionGroup("workflow", args.sizing, args.defaults), self._handlers(args), self)
        self.functions = list(self.functions_by_name.values())

        self.state_machine_name = f"{prefix}-order-workflow"
        self.log_group = aws.cloudwatch.LogGroup(
            "order-workflow-logs", name=f"/aws/vendedlogs/states/{self.state_machine_name}",
            retention_in_days=args.defaults.log_retention_days, opts=child)
        self.role = aws.iam.Role(
            "order-workflow-role", assume_role_policy=assume_role_policy("states.amazonaws.com"),
            description=f"Execution role of {self.state_machine_name}", opts=child)
        self.role_policy = aws.iam.RolePolicy(
            "order-workflow-policy", role=self.role.id,
            policy=policy_document(*self._role_statements(args.defaults.tracing)), opts=child)

        arns = {fn_name: fn.arn for fn_name, fn in self.functions_by_name.items()}
        level = execution_log_level(args.defaults.log_level)
        self.state_machine = aws.sfn.StateMachine(
            "order-workflow",
            name=self.state_machine_name,
            role_arn=self.role.arn,
            type=args.workflow_type,
            definition=pulumi.Output.all(**arns).apply(
                lambda resolved: json.dumps(order_workflow(
                    resolved, args.timeout_seconds, args.sizing.timeout))),
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                log_destination=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
                # Never the execution data: the state carries the payment token and emails.
                # On EXPRESS these logs are the only execution history there is.
                level=level, include_execution_data=False),
            tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(
                enabled=args.defaults.tracing),
            # Creation fails unless the role may already invoke, trace and deliver logs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]))
        self.arn = self.state_machine.arn
        self.register_outputs({"state_machine_arn": self.arn})

    def _create_payment_secret(self, prefix: str, configured: Optional[str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # A name prefix, not a fixed name: a deleted secret keeps its name while it waits out
        # its recovery window, and re-creating it would fail.
        self.payment_secret = aws.secretsmanager.Secret(
            "payment-provider-key", name_prefix=f"{prefix}-payment-provider-key-",
            description="Payment provider API key of the order workflow", opts=child)
        if configured:
            value = pulumi.Output.secret(configured)
            version_opts = child
        else:
            value = pulumi.Output.secret(aws.secretsmanager.get_random_password_output(
                password_length=32, exclude_punctuation=True).random_password)
            # The lookup returns a new password on every run: keep the first one.
            version_opts = pulumi.ResourceOptions(parent=self, ignore_changes=["secret_string"])
        self.payment_secret_version = aws.secretsmanager.SecretVersion(
            "payment-provider-key-version", secret_id=self.payment_secret.id,
            secret_string=value, opts=version_opts)

    def _handlers(self, args: OrderWorkflowArgs) -> list[Handler]:
        orders = args.store.orders_table
        payments = self.payments_table
        idempotency = args.store.idempotency_table
        read_key = Allow(SECRET_READ_ACTIONS, [self.payment_secret.arn])
        remember = Allow(IDEMPOTENCY_ACTIONS, [idempotency.arn])
        order_env = {"ORDERS_TABLE_NAME": orders.name}
        payment_env = {**order_env, "PAYMENTS_TABLE_NAME": payments.name,
                       "PAYMENT_SECRET_ARN": self.payment_secret.arn,
                       "IDEMPOTENCY_TABLE_NAME": idempotency.name}
        return [
            Handler("validate-order", {
                **order_env, "INVENTORY_TABLE_NAME": self.inventory_table.name,
                "MAX_ORDER_AMOUNT": str(args.max_order_amount)}, [
                # The status change only: its condition says whether the order may be validated.
                Allow(["dynamodb:UpdateItem"], [orders.arn]),
                # Whether each product exists: one read of the inventory, never a write.
                Allow(["dynamodb:BatchGetItem"], [self.inventory_table.arn])]),
            Handler("process-payment", payment_env, [
                Allow(["dynamodb:UpdateItem"], [orders.arn]),
                Allow(["dynamodb:GetItem", "dynamodb:PutItem"], [payments.arn]),
                read_key, remember]),
            # The environment names the idempotency table (docs/contracts.md), but the step is
            # made safe to repeat by its transaction's conditions: it gets no grant on it.
            Handler("reserve-inventory", {
                **order_env, "INVENTORY_TABLE_NAME": self.inventory_table.name,
                "IDEMPOTENCY_TABLE_NAME": idempotency.name}, [
                # One TransactWriteItems of updates (order status and each product's stock),
                # and a read of the order when the transaction is refused.
                Allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [orders.arn]),
                Allow(["dynamodb:UpdateItem"], [self.inventory_table.arn])]),
            Handler("notify-customer", {**order_env, "SENDER_EMAIL": args.sender.email}, [
                Allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [orders.arn]),
                args.sender.send_grant]),
            Handler("refund-payment", payment_env, [
                Allow(["dynamodb:UpdateItem"], [orders.arn]),
                Allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [payments.arn]),
                read_key, remember]),
        ]

    def _role_statements(self, tracing: bool) -> list[Allow]:
        function_arns = [self.functions_by_name[name].function.arn for name in FUNCTIONS]
        statements = [
            # Unqualified and qualified (version or alias) invocations of exactly these.
            Allow(["lambda:InvokeFunction"],
                  [*function_arns, *[arn.apply(lambda a: f"{a}:*") for arn in function_arns]]),
            Allow(LOG_DELIVERY_ACTIONS, ["*"]),
        ]
        if tracing:
            statements.append(Allow(STATES_XRAY_ACTIONS, ["*"]))
        return statements
