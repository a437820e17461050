"""The order workflow (Step Functions, `STATE_MACHINE_ARN`): starting one execution per order."""

from __future__ import annotations

from lambdas.shared.plumbing.aws_clients import client, client_error
from lambdas.shared.plumbing.settings import WorkflowEnv
from lambdas.shared.schemas.events import WorkflowState


def start_execution(state: WorkflowState) -> bool:
    """Start the workflow for `state.orderId`, the execution named after the order so that, on a
    STANDARD workflow, a second start cannot run it twice. False if that execution already
    exists. EXPRESS starts a second execution of the same name (at-least-once): every step is
    idempotent per order, so it changes nothing."""
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=WorkflowEnv.load().STATE_MACHINE_ARN,
            name=state.orderId,
            input=state.model_dump_json(exclude={"inventory"}),
        )
    except client_error() as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return False
    return True


def execution_status(order_id: str) -> str | None:
    """The status of the order's execution (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED,
    PENDING_REDRIVE), or None if it was never started."""
    arn = _execution_arn(order_id)
    try:
        return client("stepfunctions").describe_execution(executionArn=arn)["status"]
    except client_error() as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        return None


def redrive_execution(order_id: str) -> None:
    """Run the order's closed, unsuccessful execution again from the state that failed (AWS
    allows this within 14 days; a Standard execution's name cannot be started twice)."""
    client("stepfunctions").redrive_execution(executionArn=_execution_arn(order_id))


def _execution_arn(order_id: str) -> str:
    machine = WorkflowEnv.load().STATE_MACHINE_ARN
    return machine.replace(":stateMachine:", ":execution:", 1) + f":{order_id}"
