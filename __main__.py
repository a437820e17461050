"""The order platform: composes the components from the stack settings and exports outputs."""

import pulumi
import pulumi_aws as aws

from components.python_function import FunctionDefaults
from components.rest_api import RestApi, RestApiArgs
from components.shared_code_layer import SharedCodeLayer
from components.tables import Protection
from components.user_api import UserApi, UserApiArgs
from stack_settings import load_settings

# Fails with a message naming the key before any resource is registered.
settings = load_settings()
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
region = aws.get_region().region

shared_layer = SharedCodeLayer("shared-code", name_prefix=prefix, runtime=settings.runtime,
                               architecture=settings.architecture)
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

api = RestApi("api", RestApiArgs(name_prefix=prefix, settings=settings.api,
                                 log_retention_days=settings.log_retention_days,
                                 tracing=settings.tracing))
users = UserApi("users", UserApiArgs(
    api=api, defaults=defaults, sizing=settings.functions.api, protection=protection,
    allowed_origins=settings.api.cors_allowed_origins,
    provisioned_concurrency=settings.api.provisioned_concurrency))
stage = api.publish()

pulumi.export("ApiUrl", api.url)
pulumi.export("UsersTableName", users.table.name)
