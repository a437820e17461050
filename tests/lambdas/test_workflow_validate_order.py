"""validate-order: {valid, reason}; VALIDATED or REJECTED. It trusts nothing in the state: the
API's content rules, MAX_ORDER_AMOUNT and the products' existence are checked again."""

from __future__ import annotations

import pytest

from lambdas.shared.schemas.ids import ENTITY_ID
from lambdas.workflow import validate_order
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import DEFAULT_ITEMS, workflow_state


@pytest.fixture(autouse=True)
def known_products(order_cloud):
    """The default items' products exist (they have stock items)."""
    order_cloud.set_stock({item["productId"]: 5 for item in DEFAULT_ITEMS})


@pytest.mark.parametrize("status", ["PROCESSING", "PLACED"])
def test_valid_order_becomes_validated(order_cloud, lambda_context, status):
    order_cloud.add_order("o-1", status=status)

    result = validate_order.handler(workflow_state("o-1"), lambda_context)

    assert result == {"valid": True, "reason": None}
    assert order_cloud.order("o-1")["status"] == "VALIDATED"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"items": []}, "invalid order: items: List should have at least 1 item after validation, not 0"),
        ({"items": [{"productId": "p-1", "quantity": 0}]},
         "invalid order: items.0.quantity: Input should be greater than or equal to 1"),
        ({"items": [{"productId": "p-1", "quantity": 1001}]},
         "invalid order: items.0.quantity: Input should be less than or equal to 1000"),
        ({"amount": -1}, "invalid order: amount: Input should be greater than or equal to 0"),
        ({"amount": 1.005}, "invalid order: amount: Decimal input should have no more than 2 decimal places"),
        ({"amount": 10**13}, "invalid order: amount: Input should be less than or equal to 1000000000000"),
        ({"amount": True}, "invalid order: amount: must be a JSON number"),
        # Above the stack's MAX_ORDER_AMOUNT (1,000,000 in these tests), under the model's ceiling.
        ({"amount": 1_000_000.01}, "invalid order: amount: must be at most 1000000"),
    ],
)
def test_invalid_order_is_rejected_with_reason(order_cloud, lambda_context, overrides, reason):
    order_cloud.add_order("o-1", status="PROCESSING")

    result = validate_order.handler(workflow_state("o-1", **overrides), lambda_context)

    assert result == {"valid": False, "reason": reason}
    stored = order_cloud.order("o-1")
    assert stored["status"] == "REJECTED"
    assert stored["history"][-1] == {"status": "REJECTED", "at": stored["updatedAt"], "reason": reason}


def test_state_without_a_request_field_is_rejected(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="PROCESSING")
    state = workflow_state("o-1")
    del state["paymentToken"]

    result = validate_order.handler(state, lambda_context)

    assert result == {"valid": False, "reason": "invalid order: paymentToken: Field required"}
    assert order_cloud.order("o-1")["status"] == "REJECTED"


def test_unknown_order_is_invalid(order_cloud, lambda_context):
    result = validate_order.handler(workflow_state("missing"), lambda_context)

    assert result == {"valid": False, "reason": "order missing does not exist"}


def test_a_valid_order_is_checked_by_the_conditional_write_alone(order_cloud, lambda_context,
                                                                aws_calls):
    order_cloud.add_order("o-1", status="PROCESSING")
    del aws_calls[:]  # the handler's calls only

    result = validate_order.handler(workflow_state("o-1"), lambda_context)

    assert result == {"valid": True, "reason": None}
    # No read of the order first: the status condition of the write decides.
    assert [call for call in aws_calls if call[0] == "dynamodb"] == [
        ("dynamodb", "BatchGetItem"), ("dynamodb", "UpdateItem")]


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


def test_unknown_product_is_rejected_before_any_charge_and_gets_no_item(order_cloud, lambda_context):
    order_cloud.add_order("o-1", status="PROCESSING")
    items = [{"productId": "p-1", "quantity": 1}, {"productId": "p-ghost", "quantity": 1}, {"productId": "p-void", "quantity": 2}]

    result = validate_order.handler(workflow_state("o-1", items=items), lambda_context)

    assert result == {"valid": False, "reason": "unknown product(s): p-ghost, p-void"}
    assert order_cloud.order("o-1")["status"] == "REJECTED"
    inventory = {item["productId"] for item in order_cloud.tables["inventory"].scan()["Items"]}
    assert inventory == {"p-1", "p-2"}  # the check is a read: no item for the unknown ones
    assert order_cloud.tables["payments"].scan()["Items"] == []


def test_stack_maximum_is_read_from_the_environment(order_cloud, lambda_context, monkeypatch):
    monkeypatch.setenv("MAX_ORDER_AMOUNT", "20")
    order_cloud.add_order("o-1", status="PROCESSING")

    result = validate_order.handler(workflow_state("o-1", amount=25.5), lambda_context)

    assert result == {"valid": False, "reason": "invalid order: amount: must be at most 20"}


@pytest.mark.parametrize("order_id", ["o" * 2049, "o 1", "o\u00001"])
def test_malformed_order_id_is_rejected_without_touching_a_table(order_cloud, lambda_context, monkeypatch, order_id):
    # Tables that do not exist: any call with the id would raise.
    monkeypatch.setenv("ORDERS_TABLE_NAME", "absent")
    monkeypatch.setenv("INVENTORY_TABLE_NAME", "absent")

    result = validate_order.handler(workflow_state(order_id), lambda_context)

    assert result == {"valid": False, "reason": f"malformed order: orderId: {ENTITY_ID.message}"}
