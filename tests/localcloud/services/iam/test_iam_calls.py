"""Action and resource per call, from requests boto3 really signs (captured before sending)."""

from __future__ import annotations

import boto3
import pytest

from localcloud.core.http import GatewayRequest
from localcloud.services.iam.calls import CallMapper
from localcloud.services.iam.enforcer import denied_response
from tests.localcloud.services.iam.iam_support import signed

ACCOUNT = "123456789012"
ARN = f"arn:aws:%s:us-east-1:{ACCOUNT}:%s"


def mapped(request: GatewayRequest) -> list[tuple[str, str]]:
    mapper = CallMapper(ACCOUNT, lambda name, region: ARN % ("secretsmanager",
                                                              f"secret:{name}-AbCdEf"))
    return [(r.action, r.resource) for r in mapper.call_of(request).requests]


def test_dynamodb_item_calls_are_on_the_table_and_queries_on_the_index():
    assert mapped(signed("dynamodb", "put_item", TableName="orders", Item={})) == [
        ("dynamodb:PutItem", ARN % ("dynamodb", "table/orders"))]
    assert mapped(signed("dynamodb", "query", TableName="orders", IndexName="byDate",
                         KeyConditionExpression="d = :d")) == [
        ("dynamodb:Query", ARN % ("dynamodb", "table/orders/index/byDate"))]


def test_transact_write_items_is_each_entry_s_item_action_on_its_table():
    key = {"pk": {"S": "a"}}
    request = signed("dynamodb", "transact_write_items", TransactItems=[
        {"Put": {"TableName": "users", "Item": key}},
        {"Update": {"TableName": "orders", "Key": key, "UpdateExpression": "SET a = :a"}},
        {"ConditionCheck": {"TableName": "stock", "Key": key, "ConditionExpression": "a = b"}},
        {"Delete": {"TableName": "users", "Key": key}}])
    assert mapped(request) == [
        ("dynamodb:PutItem", ARN % ("dynamodb", "table/users")),
        ("dynamodb:UpdateItem", ARN % ("dynamodb", "table/orders")),
        ("dynamodb:ConditionCheckItem", ARN % ("dynamodb", "table/stock")),
        ("dynamodb:DeleteItem", ARN % ("dynamodb", "table/users"))]


def test_batch_calls_are_checked_on_every_table():
    request = signed("dynamodb", "batch_get_item", RequestItems={
        "orders": {"Keys": [{"pk": {"S": "a"}}]}, "users": {"Keys": [{"pk": {"S": "b"}}]}})
    assert mapped(request) == [("dynamodb:BatchGetItem", ARN % ("dynamodb", "table/orders")),
                               ("dynamodb:BatchGetItem", ARN % ("dynamodb", "table/users"))]


def test_sqs_batch_calls_need_the_single_message_action_on_the_queue():
    url = f"http://localhost:4566/{ACCOUNT}/work"
    assert mapped(signed("sqs", "send_message_batch", QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "x"}])) == [("sqs:SendMessage", ARN % ("sqs", "work"))]


def test_sns_publish_is_on_the_topic():
    topic = ARN % ("sns", "alerts")
    assert mapped(signed("sns", "publish", TopicArn=topic, Message="m")) == [
        ("sns:Publish", topic)]


def test_put_events_is_checked_once_per_bus_named_or_by_arn():
    bus = ARN % ("events", "event-bus/orders")
    request = signed("events", "put_events", Entries=[
        {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "orders"},
        {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": bus},
        {"Source": "s", "DetailType": "d", "Detail": "{}"}])
    assert mapped(request) == [("events:PutEvents", bus),
                               ("events:PutEvents", ARN % ("events", "event-bus/default"))]


def test_start_execution_secret_and_email_resources():
    machine = ARN % ("states", "stateMachine:workflow")
    assert mapped(signed("stepfunctions", "start_execution", stateMachineArn=machine)) == [
        ("states:StartExecution", machine)]
    assert mapped(signed("secretsmanager", "get_secret_value", SecretId="payments")) == [
        ("secretsmanager:GetSecretValue", ARN % ("secretsmanager", "secret:payments-AbCdEf"))]
    request = signed("ses", "send_email", Source="Shop <orders@example.com>",
                     Destination={"ToAddresses": ["a@example.com"]},
                     Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    mapper = CallMapper(ACCOUNT, lambda *_: "")
    (wanted,) = mapper.call_of(request).requests
    assert (wanted.action, wanted.resource) == (
        "ses:SendEmail", ARN % ("ses", "identity/orders@example.com"))
    assert wanted.value("ses:FromAddress") == "orders@example.com"


def test_put_metric_data_has_no_resource_and_gives_its_namespace():
    request = signed("cloudwatch", "put_metric_data", Namespace="OrderPlatform",
                     MetricData=[{"MetricName": "Orders", "Value": 1}])
    (wanted,) = CallMapper(ACCOUNT, lambda *_: "").call_of(request).requests
    assert (wanted.action, wanted.resource) == ("cloudwatch:PutMetricData", "*")
    assert wanted.value("cloudwatch:namespace") == "OrderPlatform"


def test_lambda_invoke_is_on_the_function_and_its_qualifier():
    assert mapped(signed("lambda", "invoke", FunctionName="checkout", Qualifier="live")) == [
        ("lambda:InvokeFunction", ARN % ("lambda", "function:checkout:live"))]


def test_an_api_without_a_mapping_is_named_but_not_evaluated():
    call = CallMapper(ACCOUNT, lambda *_: "").call_of(
        signed("kms", "decrypt", CiphertextBlob=b"x"))
    assert call.action == "kms:Decrypt" and call.requests is None


@pytest.mark.parametrize("service, operation, params, status, code", [
    ("dynamodb", "get_item", {"TableName": "t", "Key": {}}, 400, "AccessDeniedException"),
    # SQS's JSON protocol keeps the query API's code (x-amzn-query-error), as boto3 reads it
    ("sqs", "send_message", {"QueueUrl": f"http://h/{ACCOUNT}/q", "MessageBody": "m"}, 400,
     "AccessDenied"),
    ("sns", "publish", {"TopicArn": ARN % ("sns", "t"), "Message": "m"}, 403,
     "AuthorizationError"),
    ("events", "put_events", {"Entries": [{"Source": "s"}]}, 400, "AccessDeniedException"),
    ("lambda", "invoke", {"FunctionName": "f"}, 403, "AccessDeniedException"),
    ("ses", "send_email", {"Source": "a@example.com", "Destination": {}, "Message": {
        "Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}}, 403, "AccessDenied"),
    ("cloudwatch", "put_metric_data", {"Namespace": "n", "MetricData": [
        {"MetricName": "m", "Value": 1}]}, 403, "AccessDenied"),
])
def test_the_deny_is_parsed_by_boto3_as_aws_s_error(service, operation, params, status, code):
    """The denied answer, fed back to botocore's own parser for that service's protocol."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ClientError

    request = signed(service, operation, **params)
    answer = denied_response(request, "User: x is not authorized")
    client = boto3.client(service, region_name="us-east-1", endpoint_url="http://localhost:1",
                          aws_access_key_id="a", aws_secret_access_key="b")
    client.meta.events.register("before-send", lambda **_: AWSResponse(
        "http://localhost:1", answer.status, dict(answer.headers), _Raw(answer.body)))
    with pytest.raises(ClientError) as raised:
        getattr(client, operation)(**params)
    error = raised.value.response["Error"]
    assert (raised.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"]) == (
        status, code)
    assert error["Message"] == "User: x is not authorized"


class _Raw:
    """The raw stream AWSResponse reads a body from."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body

