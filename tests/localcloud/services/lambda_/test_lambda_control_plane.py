"""The Lambda control plane followed live: writes through the endpoint after the deployment
(boto3 and the real AWS CLI) reach the next invocation, the SQS pollers and EventBridge targets
as on AWS. Each test creates its own function (CreateFunction is followed too), so the fixture
program's functions stay as deployed for the other tests."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from tests.aws_cli import aws_cli as run_aws_cli
from tests.localcloud.triggers_support import drain, make_queue, queue_depth, unique
from tests.waiting import wait_for

HANDLERS = '''
import json, os, time
import boto3

VERSION = {version!r}


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {{"handler": "handler", "version": VERSION, "pid": os.getpid(),
            "mode": os.environ.get("MODE"),
            "memory": os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
            "remaining_ms": context.get_remaining_time_in_millis()}}


def other(event, context):
    return {{"handler": "other", "version": VERSION, "pid": os.getpid()}}


def batches(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["RESULTS_URL"],
                                     MessageBody=json.dumps(len(event["Records"])))
'''


def archive(version: str = "v1") -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as files:
        files.writestr("cp_app.py", HANDLERS.format(version=version))
    return data.getvalue()


@pytest.fixture(scope="module")
def role_arn(aws, outputs):
    return aws("iam").get_role(RoleName=outputs["functionRoleName"])["Role"]["Arn"]


@pytest.fixture
def function(aws, role_arn):
    """A new function created through the endpoint: its name."""
    name = unique("cp")
    aws("lambda").create_function(FunctionName=name, Runtime="python3.13", Role=role_arn,
                                  Handler="cp_app.handler", Code={"ZipFile": archive()},
                                  Timeout=3, MemorySize=128,
                                  Environment={"Variables": {"MODE": "deployed"}})
    return name


def call(invoke, function: str, payload: dict | None = None) -> dict:
    response, body = invoke(function, payload)
    assert "FunctionError" not in response, body
    return body


def in_background(invoke, function: str, payload: dict) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(call(invoke, function, payload)))
    thread.start()
    return thread, results


def worker_pids(status, function: str) -> list[int]:
    return function_status(status, function).get("worker_pids", [])


def function_status(status, function: str) -> dict:
    """What the local cloud's status says of a function's workers (AWS does not show it)."""
    return status()["functions"].get(function, {})


def test_a_function_created_after_the_deployment_runs(invoke, function, local_cloud):
    body = call(invoke, function)
    assert (body["handler"], body["version"], body["mode"]) == ("handler", "v1", "deployed")
    # the start-up summary says what is followed live and what needs a restart
    summary = local_cloud.summary()
    assert "Lambda control plane followed live" in summary
    assert "not followed (restart `up`): layers" in summary


def test_new_configuration_reaches_the_next_cold_start_and_running_ones_finish(
        invoke, function, aws, status):
    # two warm workers: one busy when the configuration changes, one idle
    warming = [in_background(invoke, function, {"sleep": 0.5}) for _ in range(2)]
    for thread, _ in warming:
        thread.join()
    warm = {results[0]["pid"] for _, results in warming}
    assert len(warm) == 2 and {r[0]["memory"] for _, r in warming} == {"128"}
    assert all(r[0]["remaining_ms"] <= 3000 for _, r in warming)
    running, results = in_background(invoke, function, {"sleep": 1.5})
    wait_for(lambda: function_status(status, function).get("in_flight"),
             what="an invocation running")

    aws("lambda").update_function_configuration(
        FunctionName=function, Timeout=20, MemorySize=512,
        Environment={"Variables": {"MODE": "updated"}})
    after = call(invoke, function)
    running.join()

    assert (after["mode"], after["memory"], after["remaining_ms"] > 10_000) == (
        "updated", "512", True)
    assert after["pid"] not in warm  # a cold start: the idle worker was retired
    assert results[0]["mode"] == "deployed"  # the running invocation finished as it started
    # the busy worker was retired when it returned: only the new one is left
    assert worker_pids(status, function) == [after["pid"]]

    aws("lambda").update_function_configuration(FunctionName=function, Handler="cp_app.other")
    assert call(invoke, function)["handler"] == "other"


def test_a_configuration_change_keeps_what_the_deployment_set(aws, local_cloud):
    before = local_cloud.registry.functions["fixture-slow"]
    aws("lambda").update_function_configuration(FunctionName="fixture-slow",
                                                Description="changed after the deployment")
    after = local_cloud.registry.functions["fixture-slow"]
    assert after == before  # reserved concurrency, layers, logging config, environment...
    assert after.reserved_concurrency == 1


def test_new_code_runs_on_the_next_invocation(invoke, function, aws):
    first = call(invoke, function)
    aws("lambda").update_function_code(FunctionName=function, ZipFile=archive("v2"))
    second = call(invoke, function)
    assert (first["version"], second["version"]) == ("v1", "v2")
    assert second["pid"] != first["pid"]


def test_reserved_concurrency_zero_throttles_and_n_caps_concurrent_invocations(
        invoke, function, aws, status):
    lambda_ = aws("lambda")
    lambda_.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as throttled:
        invoke(function)
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert throttled.value.response["Error"]["Message"] == "Rate Exceeded."

    lambda_.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=1)
    running, _ = in_background(invoke, function, {"sleep": 2})
    wait_for(lambda: function_status(status, function).get("in_flight"),
             what="the first invocation running")
    with pytest.raises(ClientError) as second:
        invoke(function)
    running.join()
    assert second.value.response["Error"]["Code"] == "TooManyRequestsException"

    lambda_.delete_function_concurrency(FunctionName=function)
    running, results = in_background(invoke, function, {"sleep": 1})
    call(invoke, function)  # runs beside the other one
    running.join()
    assert len(results) == 1


def test_deleted_function_answers_404_fails_its_rule_target_to_the_dlq_and_stops_its_mapping(
        invoke, function, aws, outputs, status):
    lambda_, sqs, events = aws("lambda"), aws("sqs"), aws("events")
    function_arn = lambda_.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    # a rule targeting the function, with a dead-letter queue
    rule_arn = events.put_rule(Name=function, EventPattern=json.dumps({"source": [function]}))[
        "RuleArn"]
    dlq_url, dlq_arn = make_queue(sqs, unique("cp-dlq"))
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": dlq_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
    lambda_.add_permission(FunctionName=function, StatementId="events", Principal=
                           "events.amazonaws.com", Action="lambda:InvokeFunction",
                           SourceArn=rule_arn)
    events.put_targets(Rule=function, Targets=[{
        "Id": "fn", "Arn": function_arn, "DeadLetterConfig": {"Arn": dlq_arn},
        "RetryPolicy": {"MaximumRetryAttempts": 0}}])
    # a queue mapped to the function
    queue_url, queue_arn = make_queue(sqs, unique("cp-work"))
    mapping = lambda_.create_event_source_mapping(EventSourceArn=queue_arn,
                                                  FunctionName=function)["UUID"]
    assert mapping in status()["polled_mappings"]
    running, results = in_background(invoke, function, {"sleep": 1.5})
    wait_for(lambda: worker_pids(status, function), what="a busy worker")

    lambda_.delete_function(FunctionName=function)

    with pytest.raises(ClientError) as missing:
        invoke(function)
    assert missing.value.response["Error"] == {
        "Code": "ResourceNotFoundException", "Message": f"Function not found: {function_arn}"}
    running.join()
    assert results and results[0]["handler"] == "handler"  # the running invocation finished
    wait_for(lambda: not worker_pids(status, function), what="the function's workers retired")

    events.put_events(Entries=[{"Source": function, "DetailType": "check", "Detail": "{}"}])
    [dead] = drain(sqs, dlq_url, 1, timeout=20)
    attributes = {key: value["StringValue"] for key, value in dead["MessageAttributes"].items()}
    assert (attributes["ERROR_CODE"], attributes["RULE_ARN"]) == ("NO_RESOURCE", rule_arn)

    # the mapping is still listed (as on AWS) but no longer polled: a message stays queued
    assert mapping in [m["UUID"] for m in lambda_.list_event_source_mappings(
        EventSourceArn=queue_arn)["EventSourceMappings"]]
    assert mapping not in status()["polled_mappings"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="nobody polls")
    time.sleep(1.5)  # longer than a poller's long poll
    assert queue_depth(sqs, queue_url) == 1
    lambda_.delete_event_source_mapping(UUID=mapping)


def test_deployed_mappings_are_listed(aws, outputs):
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=outputs["queueUrl"], AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    [mapping] = aws("lambda").list_event_source_mappings(
        EventSourceArn=queue_arn)["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(":function:fixture-echo")
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"],
            mapping["FunctionResponseTypes"], mapping["State"]) == (
        5, 1, ["ReportBatchItemFailures"], "Enabled")


@pytest.fixture
def batch_function(aws):
    """A function that reports each batch's size to a results queue: (name, results url)."""
    name = unique("cp-batches")
    sqs, iam = aws("sqs"), aws("iam")
    results_url, results_arn = make_queue(sqs, unique("cp-results"))
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="results", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                "Resource": results_arn}]}))
    aws("lambda").create_function(FunctionName=name, Runtime="python3.13", Role=role,
                                  Handler="cp_app.batches", Code={"ZipFile": archive()},
                                  Environment={"Variables": {"RESULTS_URL": results_url}})
    return name, results_url


def test_update_and_delete_event_source_mapping_take_effect_on_the_next_poll(
        aws, batch_function, status):
    function, results_url = batch_function
    lambda_, sqs = aws("lambda"), aws("sqs")
    queue_url, queue_arn = make_queue(sqs, unique("cp-mapped"))
    mapping = lambda_.create_event_source_mapping(EventSourceArn=queue_arn,
                                                  FunctionName=function, BatchSize=1)["UUID"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="one")
    assert [json.loads(m["Body"]) for m in drain(sqs, results_url, 1, timeout=20)] == [1]

    lambda_.update_event_source_mapping(UUID=mapping, Enabled=False)
    assert mapping not in status()["polled_mappings"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    time.sleep(1.5)  # longer than a poller's long poll
    assert queue_depth(sqs, queue_url) == 3  # nothing was received while disabled

    updated = lambda_.update_event_source_mapping(UUID=mapping, Enabled=True, BatchSize=3,
                                                  MaximumBatchingWindowInSeconds=2)
    assert (updated["State"], updated["BatchSize"]) == ("Enabled", 3)
    assert [json.loads(m["Body"]) for m in drain(sqs, results_url, 1, timeout=20)] == [3]

    lambda_.delete_event_source_mapping(UUID=mapping)
    assert mapping not in status()["polled_mappings"]
    assert lambda_.list_event_source_mappings(EventSourceArn=queue_arn)[
        "EventSourceMappings"] == []


def aws_cli(endpoint: str, *args: str) -> dict:
    return run_aws_cli(endpoint, *args, region="us-east-1")  # the fixture program's region


def test_aws_cli_changes_reach_the_next_invocation(endpoint, invoke, function):
    aws_cli(endpoint, "lambda", "update-function-configuration", "--function-name", function,
            "--environment", "Variables={MODE=cli}")
    assert call(invoke, function)["mode"] == "cli"

    aws_cli(endpoint, "lambda", "put-function-concurrency", "--function-name", function,
            "--reserved-concurrent-executions", "0")
    with pytest.raises(ClientError) as throttled:
        invoke(function)
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    aws_cli(endpoint, "lambda", "delete-function-concurrency", "--function-name", function)

    aws_cli(endpoint, "lambda", "delete-function", "--function-name", function)
    with pytest.raises(ClientError) as missing:
        invoke(function)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


GRANT = "items-access"  # the fixture role's inline grant (tests/localcloud/fixtures/app)


def test_aws_cli_role_policy_changes_deny_the_next_call(endpoint, invoke, aws, outputs):
    role = outputs["functionRoleName"]
    iam = aws("iam")
    saved = iam.get_role_policy(RoleName=role, PolicyName=GRANT)["PolicyDocument"]
    # the same grant as a managed policy: the inline one can go, the call still works
    managed = iam.create_policy(PolicyName=unique("items-managed"),
                                PolicyDocument=json.dumps(saved))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=managed)
    try:
        aws_cli(endpoint, "iam", "delete-role-policy", "--role-name", role, "--policy-name",
                GRANT)
        response, item = invoke("fixture-store", {"pk": "cli-managed"})
        assert "FunctionError" not in response, item

        aws_cli(endpoint, "iam", "detach-role-policy", "--role-name", role, "--policy-arn",
                managed)
        response, error = invoke("fixture-store", {"pk": "cli-detached"})
        assert response["FunctionError"] == "Unhandled"
        assert (f"assumed-role/{role}/fixture-store is not authorized to perform: "
                f"dynamodb:PutItem") in error["errorMessage"]
        assert "(AccessDeniedException)" in error["errorMessage"]
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=GRANT, PolicyDocument=json.dumps(saved))
        if managed in [p["PolicyArn"] for p in iam.list_attached_role_policies(
                RoleName=role)["AttachedPolicies"]]:
            iam.detach_role_policy(RoleName=role, PolicyArn=managed)
