"""The enforcer's modes on moto (in process): sessions issued by STS, calls signed with them."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from localcloud.core.http import HttpResponse
from localcloud.services.iam.enforcer import IamEnforcer
from tests.localcloud.services.iam.iam_support import signed

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"Service": "lambda.amazonaws.com"}}]}


@pytest.fixture
def aws():
    with mock_aws():
        clients: dict = {}
        yield lambda service: clients.setdefault(
            service, boto3.client(service, region_name="us-east-1"))


@pytest.fixture
def role(aws):
    arn = aws("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"]["Arn"]
    aws("iam").put_role_policy(RoleName="fn-role", PolicyName="reads", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}]}))
    return arn


def get_item(credentials):
    return signed("dynamodb", "get_item", credentials=credentials, TableName="orders", Key={})


def put_item(credentials):
    return signed("dynamodb", "put_item", credentials=credentials, TableName="orders", Item={})


def test_enforce_answers_a_call_the_role_does_not_grant_and_lets_the_granted_through(aws, role):
    enforcer = IamEnforcer("enforce", account_id="123456789012", aws=aws)
    keys = enforcer.credentials(role, "fixture-store")
    assert keys["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert enforcer.intercept(get_item(keys)) is None
    denied = enforcer.intercept(put_item(keys))
    assert denied.status == 400
    body = json.loads(denied.body)
    assert body["__type"] == "AccessDeniedException"
    assert body["message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/fn-role/fixture-store is not authorized "
        f"to perform: dynamodb:PutItem on resource: {TABLE} because no identity-based policy "
        "allows the dynamodb:PutItem action")
    assert [deny["action"] for deny in enforcer.stats()["denies"]] == ["dynamodb:PutItem"]


def test_report_lets_the_call_through_and_records_the_missing_statement(aws, role):
    enforcer = IamEnforcer("report", account_id="123456789012", aws=aws)
    keys = enforcer.credentials(role, "fixture-store")
    assert enforcer.intercept(put_item(keys)) is None
    (deny,) = enforcer.stats()["denies"]
    assert deny["missing_statement"] == {"Effect": "Allow", "Action": "dynamodb:PutItem",
                                         "Resource": TABLE}


def test_off_issues_no_session_and_checks_nothing(aws, role):
    enforcer = IamEnforcer("off", account_id="123456789012", aws=aws)
    assert enforcer.credentials(role, "fixture-store") == {}
    assert enforcer.intercept(put_item(None)) is None
    assert enforcer.stats()["denies"] == []


def test_calls_signed_with_other_keys_are_not_checked(aws, role):
    enforcer = IamEnforcer("enforce", account_id="123456789012", aws=aws)
    enforcer.credentials(role, "fixture-store")
    assert enforcer.intercept(put_item(None)) is None  # not a worker's session


def test_an_iam_write_through_the_gateway_makes_the_next_call_read_the_policies_again(aws, role):
    enforcer = IamEnforcer("enforce", account_id="123456789012", aws=aws)
    keys = enforcer.credentials(role, "fixture-store")
    assert enforcer.intercept(get_item(keys)) is None
    aws("iam").delete_role_policy(RoleName="fn-role", PolicyName="reads")
    assert enforcer.intercept(get_item(keys)) is None  # still the policies read before
    write = signed("iam", "delete_role_policy", RoleName="fn-role", PolicyName="reads")
    assert enforcer.intercept(write) is None  # what the gateway sees of that write: forwarded
    [watcher] = enforcer.routes().watchers(write)
    watcher.after(write, HttpResponse(200))  # ...and moto accepted it
    assert enforcer.intercept(get_item(keys)).status == 400


def test_an_action_without_a_mapping_is_allowed_and_listed_once(aws, role):
    enforcer = IamEnforcer("enforce", account_id="123456789012", aws=aws)
    keys = enforcer.credentials(role, "fixture-store")
    decrypt = signed("kms", "decrypt", credentials=keys, CiphertextBlob=b"x")
    assert enforcer.intercept(decrypt) is None
    assert enforcer.intercept(decrypt) is None
    assert enforcer.stats()["not_checked"] == ["kms:Decrypt"]


def test_the_summary_lists_granted_actions_it_does_not_check(aws, role):
    aws("iam").put_role_policy(RoleName="fn-role", PolicyName="keys", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                                                "Resource": "*"}]}))
    notes = IamEnforcer("enforce", account_id="123456789012", aws=aws).notes(["fn-role"])
    assert "IAM not checked for (allowed, not evaluated): kms:Decrypt" in notes


def test_an_unknown_mode_is_refused_naming_the_choices(aws):
    with pytest.raises(ValueError, match="enforce, report, off"):
        IamEnforcer("strict", account_id="123456789012", aws=aws)
