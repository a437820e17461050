"""sweep-stuck-orders: unfinished orders older than the configured age are found through the
by-status index, re-driven by where they stopped, and counted."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import boto3
import pytest

from lambdas.scheduled import sweep_stuck_orders
from lambdas.shared.plumbing.clock import iso_utc, utc_now
from tests.lambdas.order_fixtures import REGION, scheduled_event
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)

OLD = iso_utc(utc_now() - timedelta(hours=2))
RECENT = iso_utc(utc_now() - timedelta(minutes=1))
NOTIFY = "notify-customer-test"


@pytest.fixture
def sweeper(order_cloud, monkeypatch):
    monkeypatch.setenv("STUCK_AFTER_MINUTES", "30")
    monkeypatch.setenv("NOTIFY_FUNCTION_NAME", NOTIFY)
    return order_cloud


@pytest.fixture
def notify_function(sweeper):
    """A function of that name (moto accepts its asynchronous invocations)."""
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="notify", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("notify.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=NOTIFY, Runtime="python3.11", Role=role, Handler="notify.handler",
        Code={"ZipFile": package.getvalue()})


def sweep(lambda_context):
    return sweep_stuck_orders.handler(scheduled_event("2024-05-02T00:15:00Z"), lambda_context)


def executions(cloud) -> dict[str, dict]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    found = sfn.list_executions(stateMachineArn=cloud.state_machine_arn)["executions"]
    return {e["name"]: sfn.describe_execution(executionArn=e["executionArn"]) for e in found}


def test_only_unfinished_orders_older_than_the_age_are_stuck(sweeper, lambda_context, stdout_json):
    sweeper.add_order("o-old", status="PLACED", created_at=OLD)
    sweeper.add_order("o-recent", status="PLACED", created_at=RECENT)
    for final in ("CONFIRMED", "REJECTED", "REFUNDED"):
        sweeper.add_order(f"o-{final.lower()}", status=final, created_at=OLD)

    result = sweep(lambda_context)

    assert result == {"stuck": 1, "emailsPending": 0, "actions": {"republished": 1}}
    metrics = [line for line in stdout_json() if "_aws" in line]
    assert any(line.get("StuckOrders") == [1.0] for line in metrics)


def test_a_placed_order_is_published_again(sweeper, lambda_context):
    sweeper.add_order("o-1", status="PLACED", created_at=OLD)
    sweeper.published_events()  # what the outbox relayed when the order was written

    sweep(lambda_context)

    [event] = sweeper.published_events()
    assert event["detail-type"] == "Order Placed"
    assert event["detail"]["orderId"] == "o-1"
    assert event["detail"]["items"] == [{"productId": "p-1", "quantity": 2},
                                        {"productId": "p-2", "quantity": 1}]


def test_an_order_whose_execution_never_started_is_started_under_its_name(sweeper, lambda_context):
    sweeper.add_order("o-1", status="PROCESSING", created_at=OLD)

    result = sweep(lambda_context)

    assert result["actions"] == {"started": 1}
    started = executions(sweeper)
    assert list(started) == ["o-1"]
    assert '"paymentToken":"tok_visa"' in started["o-1"]["input"]


def test_a_running_execution_is_left_alone_and_still_counted(sweeper, lambda_context):
    sweeper.add_order("o-1", status="PAID", created_at=OLD)
    boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=sweeper.state_machine_arn, name="o-1", input="{}")

    result = sweep(lambda_context)

    assert result == {"stuck": 1, "emailsPending": 0, "actions": {"running": 1}}


def test_a_closed_execution_is_redriven_and_a_failure_does_not_stop_the_sweep(
        sweeper, lambda_context, stdout_json):
    """moto does not implement RedriveExecution: the order is reported, the sweep goes on."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sweeper.add_order("o-1", status="PAID", created_at=OLD)
    sweeper.add_order("o-2", status="VALIDATED", created_at=OLD)
    arn = sfn.start_execution(stateMachineArn=sweeper.state_machine_arn, name="o-1",
                              input="{}")["executionArn"]
    sfn.stop_execution(executionArn=arn)

    result = sweep(lambda_context)

    assert result["stuck"] == 2
    assert result["actions"] == {"failed": 1, "started": 1}
    logged = stdout_json()
    assert any(line.get("message") == "Stuck order not re-driven" and line.get("orderId") == "o-1"
               for line in logged)
    assert any(line.get("StuckOrdersNotRedriven") == [1.0] for line in logged if "_aws" in line)


def test_on_express_a_stuck_order_is_started_again_without_looking_its_execution_up(
        sweeper, lambda_context, monkeypatch):
    """Express executions cannot be described nor redriven: a closed one is never consulted."""
    from lambdas.shared.dal import order_workflow

    monkeypatch.setenv("WORKFLOW_TYPE", "EXPRESS")
    monkeypatch.setattr(order_workflow, "execution_status", _no_lookup)
    monkeypatch.setattr(order_workflow, "redrive_execution", _no_lookup)
    sweeper.add_order("o-1", status="PAID", created_at=OLD)

    result = sweep(lambda_context)

    assert result["actions"] == {"started": 1}
    assert list(executions(sweeper)) == ["o-1"]


def _no_lookup(order_id: str) -> None:
    raise AssertionError(f"the execution of {order_id} was looked up on an Express workflow")


def test_a_confirmed_order_awaiting_its_email_gets_it_out_of_band(
        sweeper, notify_function, lambda_context):
    sweeper.add_order("o-1", status="CONFIRMED", created_at=OLD)
    sweeper.tables["orders"].update_item(
        Key={"orderId": "o-1"}, UpdateExpression="SET confirmationEmailPending = :p",
        ExpressionAttributeValues={":p": "PENDING"})

    result = sweep(lambda_context)

    assert result == {"stuck": 0, "emailsPending": 1, "actions": {"emailResent": 1}}
