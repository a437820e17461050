"""Step Functions definitions parsed once per definition text (moto_fixes.stepfunctions): every
execution runs the definition its state machine has when it starts, an update included."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from localcloud.emulator.moto_fixes import stepfunctions
from tests.waiting import wait_for

ROLE = "arn:aws:iam::123456789012:role/workflow"


def passing(result: str) -> str:
    return json.dumps({"StartAt": "Answer", "States": {
        "Answer": {"Type": "Pass", "Result": {"answer": result}, "End": True}}})


def run(sfn, arn: str, name: str) -> dict:
    execution = sfn.start_execution(stateMachineArn=arn, name=name)["executionArn"]
    wait_for(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING",
             what=f"execution {name} to end")
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def test_an_updated_definition_runs_from_the_next_execution(moto_client):
    sfn = moto_client("stepfunctions")
    arn = sfn.create_state_machine(name="answers", definition=passing("one"),
                                   roleArn=ROLE)["stateMachineArn"]
    assert [run(sfn, arn, f"first-{n}") for n in range(3)] == [{"answer": "one"}] * 3
    sfn.update_state_machine(stateMachineArn=arn, definition=passing("two"))
    assert run(sfn, arn, "after-update") == {"answer": "two"}
    # Another machine with the first definition shares its parse and still answers as its own.
    other = sfn.create_state_machine(name="same-text", definition=passing("one"),
                                     roleArn=ROLE)["stateMachineArn"]
    assert run(sfn, other, "other") == {"answer": "one"}


@pytest.fixture
def parse_counted():
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    stepfunctions.parse_each_definition_once()
    program = ExecutionWorker._localcloud_program
    program.cache_clear()
    return program


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def test_each_definition_text_is_parsed_once(parse_counted):
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    arn = sfn.create_state_machine(name="counted", definition=passing("one"),
                                   roleArn=ROLE)["stateMachineArn"]
    for n in range(3):
        run(sfn, arn, f"run-{n}")
    assert (parse_counted.cache_info().misses, parse_counted.cache_info().hits) == (1, 2)
    sfn.update_state_machine(stateMachineArn=arn, definition=passing("two"))
    assert run(sfn, arn, "updated") == {"answer": "two"}
    assert parse_counted.cache_info().misses == 2
