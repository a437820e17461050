"""Step Functions execution logs through the moto server as the local cloud runs it: each
history event of an execution reaches the state machine's log group, by level, as on AWS."""

from __future__ import annotations

import json

import pytest

from tests.waiting import wait_for

ROLE = "arn:aws:iam::123456789012:role/workflow"
# Pass, then a Choice on $.fail: to Succeed, or to a Fail state.
DEFINITION = json.dumps({"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Next": "Decide"},
    "Decide": {"Type": "Choice", "Default": "Done",
               "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Broken"}]},
    "Done": {"Type": "Succeed"},
    "Broken": {"Type": "Fail", "Error": "OrderError", "Cause": "failed on purpose"}}})


@pytest.fixture(scope="module")
def clients(moto_client):
    return moto_client("stepfunctions"), moto_client("logs")


def machine(clients, name: str, level: str, include_data: bool = False,
            kind: str = "STANDARD") -> tuple[str, str]:
    sfn, logs = clients
    group = f"/aws/vendedlogs/states/{name}"
    logs.create_log_group(logGroupName=group)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    arn = sfn.create_state_machine(
        name=name, definition=DEFINITION, roleArn=ROLE, type=kind,
        loggingConfiguration={"level": level, "includeExecutionData": include_data,
                              "destinations": [{"cloudWatchLogsLogGroup": {
                                  "logGroupArn": group_arn}}]})["stateMachineArn"]
    return arn, group


def run(clients, arn: str, name: str, payload: dict) -> str:
    sfn, _ = clients
    execution = sfn.start_execution(stateMachineArn=arn, name=name,
                                    input=json.dumps(payload))["executionArn"]
    wait_for(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING",
             timeout=30, what="the execution's end")
    return execution


def records(clients, group: str, count: int) -> list[dict]:
    _, logs = clients

    def read():
        events = logs.filter_log_events(logGroupName=group)["events"]
        return events if len(events) >= count else None
    return [json.loads(event["message"]) for event in wait_for(read, timeout=10,
                                                               what=f"{count} log records")]


def test_level_all_logs_every_history_event_without_the_data(clients):
    sfn, logs = clients
    arn, group = machine(clients, "all-events", "ALL")
    execution = run(clients, arn, "order-1", {"fail": False, "paymentToken": "tok_visa"})
    history = sfn.get_execution_history(executionArn=execution)["events"]
    logged = records(clients, group, len(history))
    assert [r["type"] for r in logged] == [event["type"] for event in history]
    assert [r["id"] for r in logged] == [str(event["id"]) for event in history]
    assert {r["execution_arn"] for r in logged} == {execution}
    assert [r["previous_event_id"] for r in logged] == [
        str(event["previousEventId"]) for event in history]
    start = logged[0]
    assert start["type"] == "ExecutionStarted" and start["redrive_count"] == "0"
    assert start["details"]["roleArn"] == ROLE
    assert int(start["event_timestamp"]) == int(history[0]["timestamp"].timestamp() * 1000)
    assert "tok_visa" not in json.dumps(logged)  # includeExecutionData false
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream["logStreamName"].startswith("states/all-events/")
    assert stream["logStreamName"].endswith("/order-1")


def test_execution_data_is_logged_when_included(clients):
    arn, group = machine(clients, "with-data", "ALL", include_data=True)
    run(clients, arn, "order-2", {"fail": False, "paymentToken": "tok_visa"})
    start = records(clients, group, 1)[0]
    assert json.loads(start["details"]["input"]) == {"fail": False, "paymentToken": "tok_visa"}


@pytest.mark.parametrize("level, expected", [
    ("ERROR", ["FailStateEntered", "ExecutionFailed"]),
    ("FATAL", ["ExecutionFailed"]),
])
def test_error_and_fatal_keep_only_the_failures(clients, level, expected):
    arn, group = machine(clients, f"level-{level.lower()}", level)
    run(clients, arn, "fine", {"fail": False})
    run(clients, arn, "broken", {"fail": True})
    logged = records(clients, group, len(expected))
    assert [r["type"] for r in logged] == expected
    assert logged[-1]["details"]["error"] == "OrderError"


def test_level_off_writes_nothing(clients):
    sfn, logs = clients
    arn, group = machine(clients, "silent", "OFF")
    run(clients, arn, "quiet", {"fail": True})
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []


def test_an_express_execution_has_its_history_in_the_logs_only(clients):
    sfn, _ = clients
    arn, group = machine(clients, "express", "ALL", kind="EXPRESS")
    sfn.start_execution(stateMachineArn=arn, name="fast", input=json.dumps({"fail": True}))
    logged = records(clients, group, 7)
    assert [r["type"] for r in logged] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ChoiceStateEntered",
        "ChoiceStateExited", "FailStateEntered", "ExecutionFailed"]


@pytest.mark.parametrize("include_data", [False, True])
def test_task_parameters_are_execution_data(clients, include_data):
    sfn, logs = clients
    name = f"task-{include_data}".lower()
    group = f"/aws/vendedlogs/states/{name}"
    logs.create_log_group(logGroupName=group)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    # The task's call fails (nothing runs functions here): it is scheduled all the same.
    arn = sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps({
        "StartAt": "Pay", "States": {"Pay": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
            "Parameters": {"FunctionName": "pay", "Payload.$": "$"}}}}),
        loggingConfiguration={"level": "ALL", "includeExecutionData": include_data,
                              "destinations": [{"cloudWatchLogsLogGroup": {
                                  "logGroupArn": group_arn}}]})["stateMachineArn"]
    run(clients, arn, "pay-1", {"paymentToken": "tok_visa"})
    [scheduled] = [r for r in records(clients, group, 3) if r["type"] == "TaskScheduled"]
    assert ("parameters" in scheduled["details"]) is include_data
    assert ("tok_visa" in json.dumps(records(clients, group, 3))) is include_data
