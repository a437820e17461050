"""The order workflow (Step Functions, `STATE_MACHINE_ARN`): starting one execution per order."""

from __future__ import annotations

from botocore.exceptions import ClientError

from lambdas.shared.plumbing.aws_clients import client
from lambdas.shared.plumbing.settings import WorkflowEnv
from lambdas.shared.schemas.events import WorkflowState


def start_execution(state: WorkflowState) -> bool:
    """Start the workflow for `state.orderId`, the execution named after the order so a second
    start cannot run it twice. False if that execution already exists."""
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=WorkflowEnv.load().STATE_MACHINE_ARN,
            name=state.orderId,
            input=state.model_dump_json(exclude={"inventory"}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return False
    return True
