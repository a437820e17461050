"""AWS service clients for the handlers: created on first use, reused by later
invocations of the same container (the environment is read when the client is first needed)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def client(service_name: str) -> Any:
    """The boto3 client for `service_name` ("ses", "sns", "stepfunctions", ...); boto3 itself
    is imported with the first client (see `dal.dynamo.dynamodb`)."""
    import boto3

    return boto3.client(service_name)


def client_error() -> type[Exception]:
    """botocore's `ClientError`, for `except client_error() as error:`, which Python evaluates
    only when an exception reaches it: botocore (~40 ms) is then loaded with boto3 at the first
    AWS call, not at import."""
    from botocore.exceptions import ClientError

    return ClientError
