"""Requests as boto3 signs them, captured before they are sent, for the IAM tests."""

from __future__ import annotations

import boto3
import pytest

from localcloud.core.http import GatewayRequest


class _Captured(Exception):
    def __init__(self, request: GatewayRequest):
        self.request = request


def signed(service: str, operation: str, *, credentials: dict | None = None,
           **params) -> GatewayRequest:
    """The request boto3 would send for `operation` (signed with `credentials`, the AWS_*
    variables of a worker), as the gateway receives it."""
    keys = credentials or {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                           "AWS_SESSION_TOKEN": "token"}
    client = boto3.client(service, region_name="us-east-1", endpoint_url="http://localhost:1",
                          aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
                          aws_session_token=keys["AWS_SESSION_TOKEN"])

    def capture(request, **_):
        path, _, query = request.url.split("localhost:1", 1)[1].partition("?")
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        raise _Captured(GatewayRequest(request.method, path, query,
                                       list(request.headers.items()), body))

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured) as captured:
        getattr(client, operation)(**params)
    headers = [(k, v.decode() if isinstance(v, bytes) else v)
               for k, v in captured.value.request.headers]
    return GatewayRequest(captured.value.request.method, captured.value.request.path,
                          captured.value.request.query, headers, captured.value.request.body)
