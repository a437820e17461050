"""`UserApi`: the users table, its four functions and the `/users` routes on the REST API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi

from components.builders.grants import Allow
from components.handlers import FunctionGroup, Handler, create_functions
from components.python_function import FunctionDefaults, PythonFunction
from components.rest_api import RestApi
from components.tables import Protection, table
from lambdas.shared.models import UserCreate, UserUpdate, api_schema
from stack_settings import FunctionSizing


@dataclass
class UserApiArgs:
    api: RestApi
    defaults: FunctionDefaults
    sizing: FunctionSizing
    protection: Protection
    allowed_origins: list[str]
    # Warm instances per function name (settings.api.provisionedConcurrency).
    provisioned_concurrency: Mapping[str, int] = field(default_factory=dict)


# function, method, path, request model, the DynamoDB actions it calls (get is read-only).
# create-user puts the user and its email's uniqueness item in one TransactWriteItems, and
# delete-user reads the user (for its email) then deletes both: a transaction is authorised by
# the actions of its entries (PutItem, DeleteItem), there is no TransactWriteItems action.
ROUTES = (
    ("create-user", "POST", "/users", UserCreate, ["dynamodb:PutItem"]),
    ("get-user", "GET", "/users/{userId}", None, ["dynamodb:GetItem"]),
    ("update-user", "PUT", "/users/{userId}", UserUpdate, ["dynamodb:UpdateItem"]),
    ("delete-user", "DELETE", "/users/{userId}", None, ["dynamodb:GetItem", "dynamodb:DeleteItem"]),
)


class UserApi(pulumi.ComponentResource):
    def __init__(self, name: str, args: UserApiArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:UserApi", name, None, opts)
        self.table = table("users-table", hash_key="userId", protection=args.protection,
                           parent=self)
        environment = {"USERS_TABLE_NAME": self.table.name,
                       "ALLOWED_ORIGINS": ",".join(args.allowed_origins)}
        functions = create_functions(
            FunctionGroup("users", args.sizing, args.defaults,
                          provisioned_concurrency=args.provisioned_concurrency),
            [Handler(function, environment, [Allow(actions, [self.table.arn])])
             for function, _, _, _, actions in ROUTES],
            self)
        models = {model: args.api.model(model.__name__, api_schema(model))
                  for model in (UserCreate, UserUpdate)}
        for function, method, path, model, _ in ROUTES:
            args.api.route(method, path, functions[function], models.get(model))
        self.functions: list[PythonFunction] = list(functions.values())
        self.register_outputs({"table_name": self.table.name})
