"""The order workflow in Amazon States Language, built from plain data (see docs/contracts.md).

validate -> Order Valid? -> payment -> Payment Successful? -> reserve inventory ->
Inventory Reserved? -> notify customer -> Order Confirmed. An invalid order or a declined payment
ends in `OrderProcessingError`; missing stock refunds the payment and ends in `InventoryError`.
Every task from the charge on has a Catch: a failed reservation refunds, a failed email confirms
without it (the sweeper sends it later), and a failed payment or refund step reaches the safety
net, which refunds whatever is still CHARGED.

Each task invokes its function with the whole state and keeps exactly the fields the contract
names under its own key, so later steps (and the Choice states) read a known shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
# Transient errors of the Lambda service itself; handler errors are retried by their own rule.
LAMBDA_SERVICE_ERRORS = ("Lambda.ServiceException", "Lambda.AWSLambdaException",
                         "Lambda.SdkClientException", "Lambda.TooManyRequestsException")
# ASL types BackoffRate as a float (2 is rejected by statelint).
RETRY = {"ErrorEquals": list(LAMBDA_SERVICE_ERRORS), "IntervalSeconds": 2, "MaxAttempts": 3,
         "BackoffRate": 2.0}
# Raised by Powertools when an earlier attempt of the step still holds the order's
# idempotency lock (it lasts as long as that invocation may run: the function timeout).
IDEMPOTENCY_IN_PROGRESS = "IdempotencyAlreadyInProgressError"
HANDLER_RETRY_FIRST_DELAY = 1
HANDLER_RETRY_BACKOFF = 2.0

ORDER_PROCESSING_ERROR = "OrderProcessingError"
INVENTORY_ERROR = "InventoryError"
REFUND_ERROR = "RefundError"
CONFIRMATION_ERROR = "ConfirmationError"
# Where a Catch keeps the error; refund-payment reads it (a failed step, not out of stock).
ERROR_PATH = "$.error"
# The safety net: every path that may have charged and then failed ends here.
SAFETY_NET = "Refund Any Charge"


def handler_retry_delays(function_timeout: int) -> list[int]:
    """The nominal (un-jittered) waits of the handler-error retrier: doubling from 1 s, capped
    at the function timeout, until they add up to more than one function timeout, so an
    attempt that is still running (and its idempotency lock) is over before the last retry."""
    delays: list[int] = []
    while sum(delays) <= function_timeout:
        delays.append(min(int(HANDLER_RETRY_FIRST_DELAY * HANDLER_RETRY_BACKOFF ** len(delays)),
                          function_timeout))
    return delays


def longest_step_seconds(function_timeout: int) -> int:
    """The longest one task may take with the handler-error retrier's attempts all running to
    the function timeout, plus its nominal waits (what must fit in an Express execution)."""
    delays = handler_retry_delays(function_timeout)
    return (len(delays) + 1) * function_timeout + sum(delays)


def retriers(function_timeout: int) -> list[dict[str, Any]]:
    """Service errors; then an in-progress idempotency lock, waited out once without jitter
    (the one wait that must exceed the timeout); then any handler error, with full jitter so
    retries of many failing orders spread out (TaskFailed matches everything else, so last)."""
    return [
        dict(RETRY),
        {"ErrorEquals": [IDEMPOTENCY_IN_PROGRESS], "IntervalSeconds": function_timeout + 1,
         "MaxAttempts": 2, "BackoffRate": 1.0, "JitterStrategy": "NONE"},
        {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": HANDLER_RETRY_FIRST_DELAY,
         "MaxAttempts": len(handler_retry_delays(function_timeout)),
         "BackoffRate": HANDLER_RETRY_BACKOFF, "MaxDelaySeconds": function_timeout,
         "JitterStrategy": "FULL"},
    ]


@dataclass(frozen=True)
class Step:
    """One Lambda task: its function, where its result goes and which fields it keeps."""

    function: str
    result_path: str
    fields: tuple[str, ...]
    next: str
    # Where an error that survives the retries goes (None: the execution fails).
    on_error: str | None = None
    # Where the caught error is kept.
    error_path: str = ERROR_PATH


# State name -> task, in workflow order (function names as in docs/contracts.md). Every task
# from the charge on has a Catch (README, Order lifecycle): what could have charged refunds.
STEPS: dict[str, Step] = {
    "Validate Order": Step("validate-order", "$.validation", ("valid", "reason"),
                           next="Order Valid?"),
    # A payment step that failed may still have charged (a timeout after the provider answered).
    "Process Payment": Step("process-payment", "$.payment", ("status", "paymentId", "reason"),
                            next="Payment Successful?", on_error=SAFETY_NET),
    # Reserving runs after the charge: if it keeps failing, the customer is refunded.
    "Reserve Inventory": Step("reserve-inventory", "$.inventory", ("reserved", "reason"),
                              next="Inventory Reserved?", on_error="Refund After Error"),
    # Paid and reserved: the sale stands. A failed email confirms the order anyway and leaves
    # the email to the stuck-order sweeper, which sends it again out of band.
    "Notify Customer": Step("notify-customer", "$.notification", ("notified", "messageId"),
                            next="Order Confirmed", on_error="Confirm Without Email",
                            error_path="$.notificationError"),
    "Confirm Without Email": Step("notify-customer", "$.notification", ("notified", "messageId"),
                                  next="Order Confirmed", on_error="Confirmation Failed"),
    "Refund Payment": Step("refund-payment", "$.refund", ("refunded", "refundId"),
                           next="Insufficient Inventory", on_error=SAFETY_NET),
    "Refund After Error": Step("refund-payment", "$.refund", ("refunded", "refundId"),
                               next="Reservation Failed", on_error=SAFETY_NET),
    # Refunds whatever is CHARGED and not refunded (nothing charged: the order is REJECTED);
    # refund-payment is idempotent per order, so reaching it twice refunds once.
    SAFETY_NET: Step("refund-payment", "$.refund", ("refunded", "refundId"),
                     next="Step Failed", on_error="Refund Failed"),
}
FUNCTIONS = tuple(dict.fromkeys(step.function for step in STEPS.values()))


def _task(step: Step, function_arn: str, function_timeout: int) -> dict[str, Any]:
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": step.error_path, "Next": step.on_error}]
    return {
        **({"Catch": catch} if step.on_error else {}),
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "ResultSelector": {f"{field}.$": f"$.Payload.{field}" for field in step.fields},
        "ResultPath": step.result_path,
        "Retry": retriers(function_timeout),
        "Next": step.next,
    }


def _choice(variable: str, test: dict[str, Any], then: str, otherwise: str) -> dict[str, Any]:
    return {"Type": "Choice", "Choices": [{"Variable": variable, **test, "Next": then}],
            "Default": otherwise}


def _fail(error: str, cause: str) -> dict[str, Any]:
    return {"Type": "Fail", "Error": error, "Cause": cause}


def order_workflow(function_arns: Mapping[str, str], timeout_seconds: int,
                   function_timeout: int) -> dict[str, Any]:
    """The state machine definition; `function_arns` maps function names to their ARNs and
    `function_timeout` is their timeout (s), from which the retries are derived."""
    missing = set(FUNCTIONS) - set(function_arns)
    if missing:
        raise ValueError(f"no ARN for workflow function(s) {', '.join(sorted(missing))}")
    states: dict[str, Any] = {name: _task(step, function_arns[step.function], function_timeout)
                              for name, step in STEPS.items()}
    states.update({
        "Order Valid?": _choice("$.validation.valid", {"BooleanEquals": True},
                                then="Process Payment", otherwise="Order Invalid"),
        "Payment Successful?": _choice("$.payment.status", {"StringEquals": "SUCCESS"},
                                       then="Reserve Inventory", otherwise="Payment Declined"),
        "Inventory Reserved?": _choice("$.inventory.reserved", {"BooleanEquals": True},
                                       then="Notify Customer", otherwise="Refund Payment"),
        "Order Confirmed": {"Type": "Succeed"},
        "Order Invalid": _fail(ORDER_PROCESSING_ERROR, "The order is invalid"),
        "Payment Declined": _fail(ORDER_PROCESSING_ERROR, "The payment was declined"),
        "Insufficient Inventory": _fail(INVENTORY_ERROR,
                                        "Out of stock: the payment was refunded"),
        "Reservation Failed": _fail(ORDER_PROCESSING_ERROR,
                                    "Reserving stock failed: the payment was refunded"),
        "Step Failed": _fail(ORDER_PROCESSING_ERROR,
                             "A step failed after its retries: any charge was refunded"),
        "Refund Failed": _fail(REFUND_ERROR, "The refund failed after its retries: the order "
                                             "stays PAID for the stuck-order sweeper"),
        "Confirmation Failed": _fail(CONFIRMATION_ERROR, "Confirming failed after its "
                                     "retries: the order stays RESERVED for the sweeper"),
    })
    return {
        "Comment": "Order workflow: validate, charge, reserve stock, confirm (or refund)",
        "StartAt": "Validate Order",
        "TimeoutSeconds": timeout_seconds,
        "States": states,
    }
