"""Step Functions tasks call as their state machine's role: moto signs them with one fixed key,
and the role is that of the state machine whose definition names the call's resource."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from localcloud.core.http import GatewayRequest, HttpResponse
from localcloud.services.iam.enforcer import IamEnforcer
from localcloud.services.iam.task_roles import TASK_ACCESS_KEY
from tests.localcloud.services.iam.iam_support import signed

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:validate-order"
OTHER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:unrelated"
TASK_KEYS = {"AWS_ACCESS_KEY_ID": TASK_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "sk",
             "AWS_SESSION_TOKEN": ""}
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "states.amazonaws.com"}}]}


@pytest.fixture
def enforcer():
    with mock_aws():
        clients: dict = {}

        def aws(service):
            return clients.setdefault(service, boto3.client(service, region_name="us-east-1"))

        iam = aws("iam")
        role = iam.create_role(RoleName="workflow-role",
                               AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.put_role_policy(RoleName="workflow-role", PolicyName="tasks", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "lambda:InvokeFunction",
                "Resource": [FUNCTION, f"{FUNCTION}:*"]}]}))
        definition = {"StartAt": "Validate", "States": {"Validate": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"}, "End": True}}}
        aws("stepfunctions").create_state_machine(name="orders", roleArn=role,
                                                  definition=json.dumps(definition))
        yield IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)


def task_invoke(function: str) -> GatewayRequest:
    return signed("lambda", "invoke", credentials=TASK_KEYS, FunctionName=function, Payload=b"{}")


def test_a_task_invoking_a_function_its_role_grants_is_allowed_and_counted(enforcer):
    assert enforcer.intercept(task_invoke(FUNCTION)) is None
    assert enforcer.intercept(task_invoke(f"{FUNCTION}:live")) is None  # a qualified ARN
    assert enforcer.usage.requests("workflow-role")


def test_a_task_call_the_role_does_not_grant_is_denied_as_the_role(enforcer):
    # A second state machine names the other function; its role grants nothing.
    aws = enforcer.aws
    role = aws("iam").create_role(RoleName="bare-role", AssumeRolePolicyDocument=json.dumps(
        TRUST))["Role"]["Arn"]
    aws("stepfunctions").create_state_machine(name="other", roleArn=role, definition=json.dumps({
        "StartAt": "A", "States": {"A": {"Type": "Task", "Resource": OTHER, "End": True}}}))
    write = GatewayRequest("POST", "/", headers=[
        ("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/states/"
                          "aws4_request, SignedHeaders=host, Signature=x"),
        ("X-Amz-Target", "AWSStepFunctions.CreateStateMachine")])
    for hook in enforcer.routes().after_forward:
        if hook.matches(write):
            hook.after(write, HttpResponse(200, [], b"{}"))  # the definitions are read again

    denied = enforcer.intercept(task_invoke(OTHER))
    assert denied is not None and denied.status == 403
    assert json.loads(denied.body)["message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/bare-role/states-task is not authorized to "
        f"perform: lambda:InvokeFunction on resource: {OTHER} because no identity-based policy "
        "allows the lambda:InvokeFunction action")


def test_a_task_call_no_state_machine_names_is_reported_as_not_checked(enforcer):
    unknown = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nobody-names-me"
    assert enforcer.intercept(task_invoke(unknown)) is None
    assert any("Step Functions task" in action for action in enforcer.stats()["not_checked"])
