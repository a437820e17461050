"""moto's state saved on SIGTERM and loaded on start, by the moto server process itself."""

from __future__ import annotations

import io
import json
import os
import zipfile

import boto3
import pytest

from localcloud.emulator.moto_server import MotoServer, free_port
from localcloud.emulator.snapshot import FILE_NAME, saved_token
from tests.waiting import wait_for


@pytest.fixture
def moto(tmp_path):
    """moto(): a started moto server process saving to tmp_path, and a client factory."""
    servers = []

    def start():
        server = MotoServer(gateway_port=free_port(), state_dir=str(tmp_path))
        server.start()
        servers.append(server)
        server.wait_ready()
        return server, lambda service: boto3.client(
            service, endpoint_url=server.url, region_name="eu-west-1",
            aws_access_key_id="test", aws_secret_access_key="test")

    yield start
    for server in servers:
        server.stop()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_nothing_is_saved_before_the_local_cloud_arms_saving(moto, tmp_path):
    server, aws = moto()
    assert server.snapshot() == {"loaded": False}
    aws("sqs").create_queue(QueueName="half-deployed")
    server.stop()
    assert not os.path.exists(tmp_path / FILE_NAME)


def test_the_services_the_stack_uses_come_back_after_a_restart(moto, tmp_path):
    server, aws = moto()
    aws("dynamodb").create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    queue = aws("sqs").create_queue(QueueName="orders")["QueueUrl"]  # a queue holds a lock
    key = aws("kms").create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    pool = aws("cognito-idp").create_user_pool(PoolName="users")["UserPool"]["Id"]  # RSA keys
    role = aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws("lambda").create_function(FunctionName="fn", Runtime="python3.13", Role=role,
                                  Handler="app.handler", Code={"ZipFile": _zip()})
    aws("secretsmanager").create_secret(Name="payment-key", SecretString="s3cret")
    # An execution of a logging state machine is an instance of a fix's own subclass.
    aws("logs").create_log_group(logGroupName="/aws/vendedlogs/states/flow")
    machine = aws("stepfunctions").create_state_machine(
        name="flow", roleArn=role, definition=json.dumps(
            {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        loggingConfiguration={"level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {
            "logGroupArn": "arn:aws:logs:eu-west-1:123456789012:log-group:"
                           "/aws/vendedlogs/states/flow:*"}}]})["stateMachineArn"]
    execution = aws("stepfunctions").start_execution(stateMachineArn=machine, name="o-1")
    wait_for(lambda: aws("stepfunctions").describe_execution(
        executionArn=execution["executionArn"])["status"] == "SUCCEEDED", what="execution")
    assert server.snapshot("deployment-1")["skipped"] == {}
    # Written after the explicit save: the save on SIGTERM has it too.
    aws("dynamodb").put_item(TableName="orders", Item={"orderId": {"S": "o-1"}})
    aws("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps({"orderId": "o-1"}))
    signature = aws("kms").sign(KeyId=key["KeyId"], Message=b"order", MessageType="RAW",
                                SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    server.stop()
    assert saved_token(str(tmp_path)) == "deployment-1"

    server, aws = moto()
    loaded = server.snapshot()
    assert (loaded["loaded"], loaded["token"], loaded["skipped"]) == (True, "deployment-1", {})
    assert aws("dynamodb").get_item(TableName="orders", Key={"orderId": {"S": "o-1"}})["Item"]
    assert aws("dynamodbstreams").list_streams(TableName="orders")["Streams"]
    body = aws("sqs").receive_message(QueueUrl=queue)["Messages"][0]["Body"]
    assert json.loads(body) == {"orderId": "o-1"}
    assert aws("kms").verify(KeyId=key["KeyId"], Message=b"order", MessageType="RAW",
                             Signature=signature,
                             SigningAlgorithm="RSASSA_PSS_SHA_256")["SignatureValid"]
    assert aws("cognito-idp").describe_user_pool(UserPoolId=pool)["UserPool"]["Name"] == "users"
    assert aws("lambda").get_function(FunctionName="fn")["Configuration"]["Role"] == role
    assert aws("secretsmanager").get_secret_value(SecretId="payment-key")["SecretString"] == \
        "s3cret"
    sfn = aws("stepfunctions")
    assert sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "SUCCEEDED"
    again = sfn.start_execution(stateMachineArn=machine, name="o-2")  # the machine still runs
    wait_for(lambda: sfn.describe_execution(executionArn=again["executionArn"])["status"]
             == "SUCCEEDED", what="execution after the restart")
