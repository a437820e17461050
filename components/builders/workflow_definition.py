"""The order workflow in Amazon States Language, built from plain data (see docs/contracts.md).

validate -> Order Valid? -> payment -> Payment Successful? -> reserve inventory ->
Inventory Reserved? -> notify customer -> Order Confirmed. An invalid order or a declined payment
ends in `OrderProcessingError`; missing stock refunds the payment and ends in `InventoryError`.

Each task invokes its function with the whole state and keeps exactly the fields the contract
names under its own key, so later steps (and the Choice states) read a known shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
# Transient errors of the Lambda service itself; handler errors are not retried here.
LAMBDA_SERVICE_ERRORS = ("Lambda.ServiceException", "Lambda.AWSLambdaException",
                         "Lambda.SdkClientException", "Lambda.TooManyRequestsException")
# ASL types BackoffRate as a float (2 is rejected by statelint).
RETRY = {"ErrorEquals": list(LAMBDA_SERVICE_ERRORS), "IntervalSeconds": 2, "MaxAttempts": 3,
         "BackoffRate": 2.0}
# A handler error (e.g. a throttled or conflicting DynamoDB write) is retried a little too:
# every step is idempotent per order, so running one again never charges or reserves twice.
RETRY_HANDLER_ERROR = {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1,
                       "MaxAttempts": 2, "BackoffRate": 2.0}

ORDER_PROCESSING_ERROR = "OrderProcessingError"
INVENTORY_ERROR = "InventoryError"


@dataclass(frozen=True)
class Step:
    """One Lambda task: its function, where its result goes and which fields it keeps."""

    function: str
    result_path: str
    fields: tuple[str, ...]
    next: str
    # Where an error that survives the retries goes (None: the execution fails).
    on_error: str | None = None


# State name -> task, in workflow order (function names as in docs/contracts.md).
STEPS: dict[str, Step] = {
    "Validate Order": Step("validate-order", "$.validation", ("valid", "reason"),
                           next="Order Valid?"),
    "Process Payment": Step("process-payment", "$.payment", ("status", "paymentId", "reason"),
                            next="Payment Successful?"),
    # Reserving runs after the charge: if it keeps failing, the customer is refunded.
    "Reserve Inventory": Step("reserve-inventory", "$.inventory", ("reserved", "reason"),
                              next="Inventory Reserved?", on_error="Refund After Error"),
    "Notify Customer": Step("notify-customer", "$.notification", ("notified", "messageId"),
                            next="Order Confirmed"),
    "Refund Payment": Step("refund-payment", "$.refund", ("refunded", "refundId"),
                           next="Insufficient Inventory"),
    "Refund After Error": Step("refund-payment", "$.refund", ("refunded", "refundId"),
                               next="Reservation Failed"),
}
FUNCTIONS = tuple(dict.fromkeys(step.function for step in STEPS.values()))


def _task(step: Step, function_arn: str) -> dict[str, Any]:
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": step.on_error}]
    return {
        **({"Catch": catch} if step.on_error else {}),
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "ResultSelector": {f"{field}.$": f"$.Payload.{field}" for field in step.fields},
        "ResultPath": step.result_path,
        "Retry": [dict(RETRY), dict(RETRY_HANDLER_ERROR)],
        "Next": step.next,
    }


def _choice(variable: str, test: dict[str, Any], then: str, otherwise: str) -> dict[str, Any]:
    return {"Type": "Choice", "Choices": [{"Variable": variable, **test, "Next": then}],
            "Default": otherwise}


def _fail(error: str, cause: str) -> dict[str, Any]:
    return {"Type": "Fail", "Error": error, "Cause": cause}


def order_workflow(function_arns: Mapping[str, str], timeout_seconds: int) -> dict[str, Any]:
    """The state machine definition; `function_arns` maps function names to their ARNs."""
    missing = set(FUNCTIONS) - set(function_arns)
    if missing:
        raise ValueError(f"no ARN for workflow function(s) {', '.join(sorted(missing))}")
    states: dict[str, Any] = {name: _task(step, function_arns[step.function])
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
    })
    return {
        "Comment": "Order workflow: validate, charge, reserve stock, confirm (or refund)",
        "StartAt": "Validate Order",
        "TimeoutSeconds": timeout_seconds,
        "States": states,
    }
