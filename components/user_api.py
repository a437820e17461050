"""`UserApi`: the users table, its four functions and the `/users` routes on the REST API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components.grants import Allow
from components.python_function import FunctionDefaults, PythonFunction, PythonFunctionArgs
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
    provisioned_concurrency: int = 0


# function name, module, method, path, model, DynamoDB actions it calls
ROUTES = (
    ("create-user", "lambdas/users/create_user.py", "POST", "/users", "UserCreate",
     ["dynamodb:PutItem"]),
    ("get-user", "lambdas/users/get_user.py", "GET", "/users/{userId}", None,
     ["dynamodb:GetItem"]),
    ("update-user", "lambdas/users/update_user.py", "PUT", "/users/{userId}", "UserUpdate",
     ["dynamodb:UpdateItem"]),
    ("delete-user", "lambdas/users/delete_user.py", "DELETE", "/users/{userId}", None,
     ["dynamodb:DeleteItem"]),
)


class UserApi(pulumi.ComponentResource):
    def __init__(self, name: str, args: UserApiArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:UserApi", name, None, opts)
        self.table = table("users-table", hash_key="userId", protection=args.protection,
                           parent=self)
        models = {
            "UserCreate": args.api.model("UserCreate", api_schema(UserCreate)),
            "UserUpdate": args.api.model("UserUpdate", api_schema(UserUpdate)),
        }
        self.functions: list[PythonFunction] = []
        for function_name, module, method, path, model, actions in ROUTES:
            function = PythonFunction(function_name, PythonFunctionArgs(
                module=module, service="users", sizing=args.sizing, defaults=args.defaults,
                environment={"USERS_TABLE_NAME": self.table.name,
                             "ALLOWED_ORIGINS": ",".join(args.allowed_origins)},
                provisioned_concurrency=args.provisioned_concurrency,
            ), opts=pulumi.ResourceOptions(parent=self))
            function.allow("users-table", Allow(actions, [self.table.arn]))
            args.api.route(method, path, function, models[model] if model else None)
            self.functions.append(function)
        self.register_outputs({"table_name": self.table.name})
