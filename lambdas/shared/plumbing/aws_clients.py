"""AWS service clients for the handlers: created on first use, reused by later
invocations of the same container (the environment is read when the client is first needed)."""

from __future__ import annotations

import functools
from typing import Any

import boto3


@functools.cache
def client(service_name: str) -> Any:
    """The boto3 client for `service_name` ("ses", "sns", "stepfunctions", ...)."""
    return boto3.client(service_name)
