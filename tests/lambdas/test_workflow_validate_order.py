"""validate-order: {valid, reason}; VALIDATED or REJECTED."""

from __future__ import annotations

import pytest

from lambdas.workflow import validate_order
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import workflow_state


@pytest.mark.parametrize("status", ["PROCESSING", "PLACED"])
def test_valid_order_becomes_validated(order_cloud, lambda_context, status):
    order_cloud.add_order("o-1", status=status)

    result = validate_order.handler(workflow_state("o-1"), lambda_context)

    assert result == {"valid": True, "reason": None}
    assert order_cloud.order("o-1")["status"] == "VALIDATED"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"items": []}, "order has no items"),
        ({"items": [{"productId": "p-1", "quantity": 0}]}, "quantity must be at least 1 for p-1"),
        ({"amount": -1}, "amount must not be negative"),
    ],
)
def test_invalid_order_is_rejected_with_reason(order_cloud, lambda_context, overrides, reason):
    order_cloud.add_order("o-1", status="PROCESSING")

    result = validate_order.handler(workflow_state("o-1", **overrides), lambda_context)

    assert result == {"valid": False, "reason": reason}
    stored = order_cloud.order("o-1")
    assert stored["status"] == "REJECTED"
    assert stored["history"][-1] == {"status": "REJECTED", "at": stored["updatedAt"], "reason": reason}


def test_malformed_state_is_rejected(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="PROCESSING")
    state = workflow_state("o-1")
    del state["paymentToken"]

    result = validate_order.handler(state, lambda_context)

    assert result["valid"] is False
    assert result["reason"].startswith("malformed order")
    assert order_cloud.order("o-1")["status"] == "REJECTED"


def test_unknown_order_is_invalid(order_cloud, lambda_context):
    result = validate_order.handler(workflow_state("missing"), lambda_context)

    assert result == {"valid": False, "reason": "order missing does not exist"}


def test_order_past_validation_is_left_alone(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="CONFIRMED")

    result = validate_order.handler(workflow_state("o-1"), lambda_context)

    assert result == {"valid": False, "reason": "order is CONFIRMED"}
    assert order_cloud.order("o-1")["status"] == "CONFIRMED"


def test_repeated_validation_gives_the_same_answer(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="PROCESSING")

    first = validate_order.handler(workflow_state("o-1"), lambda_context)
    second = validate_order.handler(workflow_state("o-1"), lambda_context)

    assert first == second == {"valid": True, "reason": None}
    assert [entry["status"] for entry in order_cloud.order("o-1")["history"]] == ["PROCESSING", "VALIDATED"]
