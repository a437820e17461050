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
