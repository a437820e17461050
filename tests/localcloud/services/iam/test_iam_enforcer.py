"""The enforcer's modes on moto (in process): sessions issued by STS, calls signed with them."""

from __future__ import annotations

import io
import json
import zipfile

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


# -- resource policies: service principals and the functions' own calls -----------------------

ACCOUNT = "123456789012"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/order-placed"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:errors"


@pytest.fixture
def queue(aws):
    url = aws("sqs").create_queue(QueueName="orders")["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"


def queue_policy(aws, url: str, *statements: dict) -> None:
    aws("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": list(statements)})})


def events_may_send(queue_arn: str, source: str = RULE) -> dict:
    return {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": source}}}


def send_to(queue_arn: str) -> tuple:
    return "events.amazonaws.com", RULE, "sqs:SendMessage", queue_arn


def test_a_service_delivery_needs_the_queue_policy_and_its_source(aws, queue):
    url, arn = queue
    enforcer = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)
    assert enforcer.authorize_service(*send_to(arn)) == (
        f"User: events.amazonaws.com is not authorized to perform: sqs:SendMessage on resource: "
        f"{arn} because no resource-based policy allows the sqs:SendMessage action")
    (deny,) = enforcer.stats()["denies"]
    assert deny["source_arn"] == RULE
    assert deny["missing_statement"] == {
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"ArnLike": {"aws:SourceArn": RULE}}}
    queue_policy(aws, url, events_may_send(arn, source=RULE + "-other"))
    fresh = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)
    assert fresh.authorize_service(*send_to(arn)) is not None  # another rule's grant
    queue_policy(aws, url, events_may_send(arn))
    assert IamEnforcer("enforce", account_id=ACCOUNT, aws=aws).authorize_service(
        *send_to(arn)) is None


def test_report_mode_lets_the_delivery_through_and_off_checks_nothing(aws, queue):
    _, arn = queue
    report = IamEnforcer("report", account_id=ACCOUNT, aws=aws)
    assert report.authorize_service(*send_to(arn)) is None
    assert [deny["mode"] for deny in report.stats()["denies"]] == ["report"]
    off = IamEnforcer("off", account_id=ACCOUNT, aws=aws)
    assert off.authorize_service(*send_to(arn)) is None
    assert off.stats()["denies"] == []


def moto_accepted(enforcer: IamEnforcer, request) -> None:
    """What the gateway does once moto answered a forwarded write with a success."""
    for watcher in enforcer.resources.routes().watchers(request):
        watcher.after(request, HttpResponse(200))


def test_a_policy_write_through_the_gateway_takes_effect_on_the_next_delivery(aws, queue):
    url, arn = queue
    enforcer = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)
    queue_policy(aws, url, events_may_send(arn))
    assert enforcer.authorize_service(*send_to(arn)) is None
    aws("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert enforcer.authorize_service(*send_to(arn)) is None  # the policy read before
    moto_accepted(enforcer, signed("sqs", "set_queue_attributes", QueueUrl=url,
                                   Attributes={"Policy": ""}))  # what the gateway sees of it
    assert enforcer.authorize_service(*send_to(arn)) is not None


def test_a_lambda_remove_permission_takes_effect_on_the_next_delivery(aws, role):
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = aws("lambda")
    arn = lam.create_function(FunctionName="send-email", Runtime="python3.13", Role=role,
                              Handler="app.handler", Code={"ZipFile": code.getvalue()})[
        "FunctionArn"]
    lam.add_permission(FunctionName="send-email", StatementId="rule", SourceArn=RULE,
                       Action="lambda:InvokeFunction", Principal="events.amazonaws.com")
    enforcer = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)
    invoke = ("events.amazonaws.com", RULE, "lambda:InvokeFunction", arn)
    assert enforcer.authorize_service(*invoke) is None
    lam.remove_permission(FunctionName="send-email", StatementId="rule")
    moto_accepted(enforcer, signed("lambda", "remove_permission", FunctionName="send-email",
                                   StatementId="rule"))
    assert "lambda:InvokeFunction" in enforcer.authorize_service(*invoke)


def test_publishing_to_an_encrypted_topic_needs_the_key_policy_too(aws):
    topic_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": "*"}]}
    account_only = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*", "Resource": "*"}]}
    key = aws("kms").create_key(Policy=json.dumps(account_only))["KeyMetadata"]
    topic = aws("sns").create_topic(Name="alarms", Attributes={
        "KmsMasterKeyId": key["KeyId"], "Policy": json.dumps(topic_policy)})["TopicArn"]
    publish = ("cloudwatch.amazonaws.com", ALARM, "sns:Publish", topic)
    denied = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws).authorize_service(*publish)
    assert denied.startswith("User: cloudwatch.amazonaws.com is not authorized to perform: "
                             f"kms:GenerateDataKey on resource: {key['Arn']}")
    account_only["Statement"].append({
        "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
        "Condition": {"StringLike": {"kms:EncryptionContext:aws:sns:topicArn": topic}}})
    aws("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default",
                              Policy=json.dumps(account_only))
    assert IamEnforcer("enforce", account_id=ACCOUNT, aws=aws).authorize_service(*publish) is None


def send_message(credentials, url):
    return signed("sqs", "send_message", credentials=credentials, QueueUrl=url, MessageBody="x")


def test_a_queue_policy_naming_the_role_allows_what_its_identity_policies_do_not(aws, role,
                                                                                 queue):
    url, arn = queue
    enforcer = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)
    keys = enforcer.credentials(role, "create-order")
    assert enforcer.intercept(send_message(keys, url)).status == 400
    queue_policy(aws, url, {"Effect": "Allow", "Principal": {"AWS": role},
                            "Action": "sqs:SendMessage", "Resource": arn})
    enforcer.resources.invalidate()
    assert enforcer.intercept(send_message(keys, url)) is None


def test_an_explicit_deny_in_the_queue_policy_beats_the_role_s_grant(aws, role, queue):
    url, arn = queue
    aws("iam").put_role_policy(RoleName="fn-role", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                "Resource": arn}]}))
    queue_policy(aws, url, {"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                            "Resource": arn})
    enforcer = IamEnforcer("enforce", account_id=ACCOUNT, aws=aws)
    keys = enforcer.credentials(role, "create-order")
    body = json.loads(enforcer.intercept(send_message(keys, url)).body)
    assert body["message"].endswith(
        f"on resource: {arn} with an explicit deny in a resource-based policy")
