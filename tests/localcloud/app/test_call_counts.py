"""The gateway's call counts: each signed call under the function that signed it and its action."""

from __future__ import annotations

from localcloud.app.call_counts import OTHER_CALLER, CallCounts
from localcloud.core.http import GatewayRequest
from tests.localcloud.services.iam.iam_support import signed

WORKER = {"AWS_ACCESS_KEY_ID": "ASIAWORKER", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}


def counts_of(*requests: GatewayRequest) -> dict:
    # The worker's key belongs to get-user; any other key is no function's.
    counts = CallCounts(lambda request: "get-user" if "ASIAWORKER" in
                        (request.header("Authorization") or "") else None)
    for request in requests:
        assert counts.intercept(request) is None  # counting never answers a request
    return counts.stats()


def test_calls_are_counted_by_caller_and_action():
    get = signed("dynamodb", "get_item", credentials=WORKER, TableName="users",
                 Key={"userId": {"S": "u-1"}})
    send = signed("sqs", "send_message", credentials=WORKER, QueueUrl="http://localhost/1/q",
                  MessageBody="m")
    publish = signed("sns", "publish", TopicArn="arn:aws:sns:us-east-1:123456789012:t",
                     Message="m")
    assert counts_of(get, get, send, publish) == {
        "get-user": {"dynamodb:GetItem": 2, "sqs:SendMessage": 1},
        OTHER_CALLER: {"sns:Publish": 1}}


def test_lambda_invoke_is_named_by_its_route_and_unsigned_requests_are_not_counted():
    invoke = signed("lambda", "invoke", credentials=WORKER, FunctionName="reserve-inventory",
                    Payload=b"{}")
    api_call = GatewayRequest("GET", "/restapis/abc/local/_user_request_/users/u-1")
    assert counts_of(invoke, api_call) == {"get-user": {"lambda:Invoke": 1}}
