"""Other functions of the platform (Lambda): invoking one asynchronously, so Lambda's own
retries and the function's failure destination apply."""

from __future__ import annotations

from lambdas.shared.plumbing.aws_clients import client


def invoke_later(function_name: str, payload: str) -> None:
    """Queue one asynchronous invocation (InvocationType Event) of `function_name`."""
    client("lambda").invoke(FunctionName=function_name, InvocationType="Event",
                            Payload=payload.encode())
