"""`OrderApi`: `POST /orders` (create-order) and `GET /orders/{orderId}` (get-order) on the
shared REST API. The request model is generated from the handler's pydantic model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

from components.builders.grants import IDEMPOTENCY_ACTIONS, Allow
from components.handlers import FunctionGroup, Handler, create_functions
from components.order_store import OrderStore
from components.python_function import FunctionDefaults
from components.rest_api import RestApi
from lambdas.shared.models import OrderCreate, api_schema
from stack_settings import FunctionSizing


@dataclass
class OrderApiArgs:
    api: RestApi
    defaults: FunctionDefaults
    sizing: FunctionSizing
    store: OrderStore
    users_table: aws.dynamodb.Table
    allowed_origins: list[str]
    # Warm instances per function name (settings.api.provisionedConcurrency).
    provisioned_concurrency: Mapping[str, int] = field(default_factory=dict)
    max_order_amount: int = 1_000_000


class OrderApi(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrderApiArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:OrderApi", name, None, opts)
        orders = args.store.orders_table
        idempotency = args.store.idempotency_table
        cors = {"ALLOWED_ORIGINS": ",".join(args.allowed_origins)}
        self.functions_by_name = create_functions(
            FunctionGroup("orders", args.sizing, args.defaults,
                          provisioned_concurrency=args.provisioned_concurrency),
            [Handler("create-order", {
                **cors, "ORDERS_TABLE_NAME": orders.name,
                "USERS_TABLE_NAME": args.users_table.name,
                "IDEMPOTENCY_TABLE_NAME": idempotency.name,
                "MAX_ORDER_AMOUNT": str(args.max_order_amount)}, [
                Allow(["dynamodb:GetItem"], [args.users_table.arn]),
                # PutItem places the order; GetItem reads it back when a retry finds it placed.
                Allow(["dynamodb:GetItem", "dynamodb:PutItem"], [orders.arn]),
                # No events:PutEvents: the orders table's stream publishes the order (outbox).
                Allow(IDEMPOTENCY_ACTIONS, [idempotency.arn])]),
             Handler("get-order", {**cors, "ORDERS_TABLE_NAME": orders.name}, [
                 Allow(["dynamodb:GetItem"], [orders.arn])])],
            self)
        self.functions = list(self.functions_by_name.values())
        order_create = args.api.model("OrderCreate", api_schema(OrderCreate))
        args.api.route("POST", "/orders", self.functions_by_name["create-order"], order_create)
        args.api.route("GET", "/orders/{orderId}", self.functions_by_name["get-order"])
        self.register_outputs({})
