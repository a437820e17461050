"""IAM enforcement on the fixture program: functions call as their role, and a call their role
does not grant is denied as AWS denies it."""

from __future__ import annotations

import json

import pytest

GRANT = "items-access"  # the fixture role's inline policy (tests/localcloud/fixtures/app)


@pytest.fixture
def role(outputs, aws):
    """The fixture functions' role; its inline grant is put back after the test."""
    name = outputs["functionRoleName"]
    iam = aws("iam")
    saved = iam.get_role_policy(RoleName=name, PolicyName=GRANT)["PolicyDocument"]
    yield name
    iam.put_role_policy(RoleName=name, PolicyName=GRANT, PolicyDocument=json.dumps(saved))


def test_workers_run_with_a_session_of_their_function_s_role(invoke, outputs, aws):
    _, echo = invoke("fixture-echo")
    env = echo["env"]
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")  # STS-issued, not the fixed test key
    assert env["AWS_SESSION_TOKEN"] not in ("", "test")
    identity = aws("sts").get_caller_identity()  # the tests' own key: the account's root
    assert identity["Account"] == outputs["accountId"]


def test_a_call_the_role_grants_goes_through(invoke):
    response, item = invoke("fixture-store", {"pk": "iam-allowed"})
    assert "FunctionError" not in response, item
    assert item["pk"] == "iam-allowed"


def test_removing_the_inline_grant_denies_the_call_with_aws_s_error(invoke, role, aws, outputs,
                                                                     status):
    aws("iam").delete_role_policy(RoleName=role, PolicyName=GRANT)
    response, error = invoke("fixture-store", {"pk": "iam-denied"})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ClientError"
    table_arn = (f"arn:aws:dynamodb:{outputs['region']}:{outputs['accountId']}:table/"
                 f"{outputs['tableName']}")
    assert "(AccessDeniedException) when calling the PutItem operation" in error["errorMessage"]
    assert (f"User: arn:aws:sts::{outputs['accountId']}:assumed-role/{role}/fixture-store is not "
            f"authorized to perform: dynamodb:PutItem on resource: {table_arn} because no "
            f"identity-based policy allows the dynamodb:PutItem action") in error["errorMessage"]
    # nothing was written: the deny came before DynamoDB
    assert "Item" not in aws("dynamodb").get_item(TableName=outputs["tableName"],
                                                  Key={"pk": {"S": "iam-denied"}})
    denies = status()["iam"]["denies"]
    assert denies[-1]["action"] == "dynamodb:PutItem"
    assert denies[-1]["resource"] == table_arn
    assert denies[-1]["missing_statement"] == {"Effect": "Allow", "Action": "dynamodb:PutItem",
                                               "Resource": table_arn}


def test_an_explicit_deny_in_a_policy_beats_the_grant(invoke, role, aws, outputs):
    aws("iam").put_role_policy(RoleName=role, PolicyName="no-reads", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "dynamodb:GetItem",
                                                "Resource": "*"}]}))
    try:
        response, error = invoke("fixture-store", {"pk": "iam-explicit"})
    finally:
        aws("iam").delete_role_policy(RoleName=role, PolicyName="no-reads")
    assert response["FunctionError"] == "Unhandled"
    assert "dynamodb:GetItem" in error["errorMessage"]
    assert "with an explicit deny in an identity-based policy" in error["errorMessage"]


def test_the_summary_says_what_iam_does_not_evaluate(local_cloud):
    summary = local_cloud.summary()
    assert "IAM (enforce)" in summary
    assert "resource policies evaluated: Lambda permissions, queue and topic policies" in summary
    assert "Secrets Manager secret policies, and the key policies" in summary
    assert "not evaluated: other resource policies, API Gateway's CloudWatch role" in summary
    assert "EventBridge Pipes read their stream, invoke their enrichment" in summary
    assert "AWS-managed policies (arn:aws:iam::aws:policy/...) are not evaluated" in summary
