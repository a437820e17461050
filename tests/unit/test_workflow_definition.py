"""The order workflow definition (ASL), built without Pulumi: shape, paths and statelint."""

import copy

import pytest
from statelint.linter import Linter

from components.builders.workflow_definition import (CONFIRMATION_ERROR, FUNCTIONS,
                                                      IDEMPOTENCY_IN_PROGRESS, INVENTORY_ERROR,
                                                      LAMBDA_INVOKE, LAMBDA_SERVICE_ERRORS,
                                                      ORDER_PROCESSING_ERROR, REFUND_ERROR,
                                                      handler_retry_delays, order_workflow)

ARNS = {name: f"arn:aws:lambda:eu-west-1:123456789012:function:test-{name}"
        for name in FUNCTIONS}
TERMINAL = ("Succeed", "Fail")
# docs/contracts.md: state -> (function, kept as, returned fields).
CONTRACT = {
    "Validate Order": ("validate-order", "$.validation", {"valid", "reason"}),
    "Process Payment": ("process-payment", "$.payment", {"status", "paymentId", "reason"}),
    "Reserve Inventory": ("reserve-inventory", "$.inventory", {"reserved", "reason"}),
    "Notify Customer": ("notify-customer", "$.notification", {"notified", "messageId"}),
    "Refund Payment": ("refund-payment", "$.refund", {"refunded", "refundId"}),
    "Refund After Error": ("refund-payment", "$.refund", {"refunded", "refundId"}),
    "Confirm Without Email": ("notify-customer", "$.notification", {"notified", "messageId"}),
    "Refund Any Charge": ("refund-payment", "$.refund", {"refunded", "refundId"}),
}
FUNCTION_TIMEOUT = 30
# Tasks that run once the customer may have been charged (Process Payment itself may charge
# and then fail).
AFTER_THE_CHARGE = ("Process Payment", "Reserve Inventory", "Notify Customer",
                    "Confirm Without Email", "Refund Payment", "Refund After Error",
                    "Refund Any Charge")


@pytest.fixture
def definition():
    return order_workflow(ARNS, timeout_seconds=300, function_timeout=FUNCTION_TIMEOUT)


def successors(state: dict) -> list[str]:
    if state["Type"] == "Choice":
        return [choice["Next"] for choice in state["Choices"]] + [state["Default"]]
    caught = [catch["Next"] for catch in state.get("Catch", [])]
    return ([state["Next"]] if "Next" in state else []) + caught


def outcome(definition: dict, start: str, decisions: dict[str, bool]) -> tuple[str, list[str]]:
    """Follow the workflow from `start`, taking each Choice's rule (True) or Default (False);
    returns the terminal state and the tasks run on the way."""
    states, name, tasks = definition["States"], start, []
    for _ in range(len(states)):
        state = states[name]
        if state["Type"] in TERMINAL:
            return name, tasks
        if state["Type"] == "Task":
            tasks.append(name)
            name = state["Next"]
        else:
            name = state["Choices"][0]["Next"] if decisions[name] else state["Default"]
    raise AssertionError("the workflow loops")


def test_statelint_accepts_the_definition(definition):
    assert Linter.validate(definition) == []


@pytest.mark.parametrize("break_it", [
    pytest.param(lambda d: d["States"]["Notify Customer"].update(Next="Nowhere"),
                 id="next-to-a-missing-state"),
    pytest.param(lambda d: d["States"]["Order Valid?"].pop("Choices"), id="choice-without-rules"),
    pytest.param(lambda d: d["States"]["Refund Payment"].pop("Next"), id="task-without-next"),
    pytest.param(lambda d: d["States"]["Validate Order"]["Retry"][0].update(BackoffRate=2),
                 id="integer-backoff-rate"),
    pytest.param(lambda d: d["States"]["Validate Order"].update(ResultPath="validation"),
                 id="result-path-not-a-path"),
    pytest.param(lambda d: d["States"]["Process Payment"].update(
        ResultSelector={"status.$": "Payload.status"}), id="selector-not-a-path"),
    pytest.param(lambda d: d.update(StartAt="Nowhere"), id="start-at-a-missing-state"),
])
def test_statelint_rejects_a_broken_definition(definition, break_it):
    broken = copy.deepcopy(definition)
    break_it(broken)
    assert Linter.validate(broken), "statelint found no problem in a broken definition"


def test_every_state_is_reachable_and_every_path_ends(definition):
    states = definition["States"]
    seen, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(successors(states[name]))
    assert seen == set(states)
    for name, state in states.items():
        assert successors(state) or state["Type"] in TERMINAL, name


@pytest.mark.parametrize("decisions, end, tasks", [
    ({"Order Valid?": True, "Payment Successful?": True, "Inventory Reserved?": True},
     "Order Confirmed",
     ["Validate Order", "Process Payment", "Reserve Inventory", "Notify Customer"]),
    ({"Order Valid?": False}, "Order Invalid", ["Validate Order"]),
    ({"Order Valid?": True, "Payment Successful?": False}, "Payment Declined",
     ["Validate Order", "Process Payment"]),
    ({"Order Valid?": True, "Payment Successful?": True, "Inventory Reserved?": False},
     "Insufficient Inventory",
     ["Validate Order", "Process Payment", "Reserve Inventory", "Refund Payment"]),
])
def test_each_outcome_follows_the_contract(definition, decisions, end, tasks):
    assert outcome(definition, definition["StartAt"], decisions) == (end, tasks)


def test_terminal_states_carry_the_contract_errors(definition):
    states = definition["States"]
    assert states["Order Confirmed"] == {"Type": "Succeed"}
    assert states["Order Invalid"]["Error"] == ORDER_PROCESSING_ERROR == "OrderProcessingError"
    assert states["Payment Declined"]["Error"] == ORDER_PROCESSING_ERROR
    assert states["Insufficient Inventory"]["Error"] == INVENTORY_ERROR == "InventoryError"
    assert states["Reservation Failed"]["Error"] == ORDER_PROCESSING_ERROR
    assert states["Step Failed"]["Error"] == ORDER_PROCESSING_ERROR
    assert states["Refund Failed"]["Error"] == REFUND_ERROR == "RefundError"
    assert states["Confirmation Failed"]["Error"] == CONFIRMATION_ERROR == "ConfirmationError"
    fails = [s for s in states.values() if s["Type"] == "Fail"]
    assert len(fails) == 7 and all(s["Cause"] for s in fails)


def catch_target(state: dict) -> tuple[str, str]:
    (catch,) = state["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    return catch["Next"], catch["ResultPath"]


def test_every_task_from_the_charge_on_is_caught_and_nothing_before(definition):
    states = definition["States"]
    caught = {name: catch_target(s) for name, s in states.items() if "Catch" in s}
    assert caught == {
        "Process Payment": ("Refund Any Charge", "$.error"),
        "Reserve Inventory": ("Refund After Error", "$.error"),
        "Notify Customer": ("Confirm Without Email", "$.notificationError"),
        "Confirm Without Email": ("Confirmation Failed", "$.error"),
        "Refund Payment": ("Refund Any Charge", "$.error"),
        "Refund After Error": ("Refund Any Charge", "$.error"),
        "Refund Any Charge": ("Refund Failed", "$.error"),
    }
    assert set(caught) == set(AFTER_THE_CHARGE)
    assert states["Refund After Error"]["Next"] == "Reservation Failed"
    assert states["Refund Any Charge"]["Next"] == "Step Failed"
    assert states["Confirm Without Email"]["Next"] == "Order Confirmed"


def error_paths(definition: dict, start: str) -> list[list[str]]:
    """Every path from `start` when each task may succeed or fail (after its retries) and each
    Choice may go either way, up to a terminal state."""
    states, paths, todo = definition["States"], [], [[start]]
    while todo:
        path = todo.pop()
        state = states[path[-1]]
        if state["Type"] in TERMINAL:
            paths.append(path)
            continue
        todo.extend(path + [nxt] for nxt in successors(state) if nxt not in path)
    return paths


def test_no_path_after_the_charge_fails_without_a_refund(definition):
    """The safety net: an execution that charged either confirms the order (it stands, even
    when confirming itself failed: the order is RESERVED and the sweeper re-drives it) or runs
    refund-payment before it ends failed, or ends in RefundError (the refund itself failed,
    which the sweeper and the failed-executions alarm report)."""
    states = definition["States"]
    for path in error_paths(definition, "Process Payment"):
        end = states[path[-1]]
        refunded = any(states[n].get("Parameters", {}).get("FunctionName")
                       == ARNS["refund-payment"] for n in path)
        if end["Type"] == "Succeed" or refunded:
            continue
        assert path[-1] in ("Payment Declined", "Confirmation Failed"), path
        if path[-1] == "Confirmation Failed":
            assert "Reserve Inventory" in path and "Notify Customer" in path


@pytest.mark.parametrize("function_timeout", [1, 3, 10, 30, 60, 900])
def test_handler_retries_outlast_the_function_timeout(function_timeout):
    """An attempt still running holds the order's idempotency lock for up to the function
    timeout: the retries must wait longer than that before the last one."""
    task = order_workflow(ARNS, 300, function_timeout)["States"]["Process Payment"]
    service, in_progress, handler = task["Retry"]
    assert in_progress["ErrorEquals"] == [IDEMPOTENCY_IN_PROGRESS] == [
        "IdempotencyAlreadyInProgressError"]
    # The guaranteed wait: no jitter, longer than the lock can live.
    assert in_progress["JitterStrategy"] == "NONE"
    assert in_progress["IntervalSeconds"] > function_timeout
    assert in_progress["MaxAttempts"] >= 1
    # Any handler error: exponential backoff with full jitter, capped at the timeout, whose
    # nominal waits add up to more than one timeout.
    assert handler["ErrorEquals"] == ["States.TaskFailed"]
    assert handler["JitterStrategy"] == "FULL"
    assert handler["MaxDelaySeconds"] == function_timeout
    delays = [min(handler["IntervalSeconds"] * handler["BackoffRate"] ** i,
                  handler["MaxDelaySeconds"]) for i in range(handler["MaxAttempts"])]
    assert delays == handler_retry_delays(function_timeout)
    assert sum(delays) > function_timeout
    assert sum(delays[:-1]) <= function_timeout  # no more attempts than that takes


def test_choices_read_the_kept_results(definition):
    states = definition["States"]
    assert states["Order Valid?"]["Choices"] == [
        {"Variable": "$.validation.valid", "BooleanEquals": True, "Next": "Process Payment"}]
    assert states["Payment Successful?"]["Choices"] == [
        {"Variable": "$.payment.status", "StringEquals": "SUCCESS",
         "Next": "Reserve Inventory"}]
    assert states["Inventory Reserved?"]["Choices"] == [
        {"Variable": "$.inventory.reserved", "BooleanEquals": True, "Next": "Notify Customer"}]


@pytest.mark.parametrize("name", CONTRACT)
def test_every_task_invokes_its_function_keeps_its_result_and_retries(definition, name):
    function_name, result_path, fields = CONTRACT[name]
    task = definition["States"][name]
    assert task["Type"] == "Task"
    assert task["Resource"] == LAMBDA_INVOKE == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"] == {"FunctionName": ARNS[function_name], "Payload.$": "$"}
    assert task["ResultSelector"] == {f"{f}.$": f"$.Payload.{f}" for f in fields}
    assert task["ResultPath"] == result_path
    service, in_progress, handler = task["Retry"]
    assert set(service["ErrorEquals"]) == set(LAMBDA_SERVICE_ERRORS) == {
        "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException"}
    assert (service["IntervalSeconds"], service["MaxAttempts"], service["BackoffRate"]) == (2, 3, 2)
    # The idempotency lock, then any handler error (TaskFailed matches the rest: last).
    assert in_progress["ErrorEquals"] == [IDEMPOTENCY_IN_PROGRESS]
    assert handler["ErrorEquals"] == ["States.TaskFailed"]
    assert handler["MaxAttempts"] == len(handler_retry_delays(FUNCTION_TIMEOUT)) == 5


def test_all_tasks_are_in_the_contract(definition):
    tasks = {n for n, s in definition["States"].items() if s["Type"] == "Task"}
    assert tasks == set(CONTRACT)


def test_timeout_comes_from_the_argument():
    assert order_workflow(ARNS, timeout_seconds=42, function_timeout=3)["TimeoutSeconds"] == 42


def test_a_missing_function_arn_is_refused():
    with pytest.raises(ValueError, match="refund-payment"):
        order_workflow({k: v for k, v in ARNS.items() if k != "refund-payment"}, 300, 30)
