"""get-order: GET /orders/{orderId} -> status and history, or 404."""

from __future__ import annotations

import json

from lambdas.orders import get_order
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)


def get(api_event, lambda_context, order_id):
    event = api_event("GET", f"/orders/{order_id}", "/orders/{orderId}", path_parameters={"orderId": order_id})
    response = get_order.handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def test_order_is_returned_with_status_and_history(order_cloud, api_event, lambda_context):
    order_cloud.add_order("o-1", status="PLACED", amount="25.50")
    order_cloud.tables["orders"].update_item(
        Key={"orderId": "o-1"},
        UpdateExpression="SET #s = :s, history = list_append(history, :h)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "PROCESSING", ":h": [{"status": "PROCESSING", "at": "2024-05-01T10:00:01.000Z"}]},
    )

    status, order = get(api_event, lambda_context, "o-1")

    assert status == 200
    assert order["orderId"] == "o-1"
    assert order["status"] == "PROCESSING"
    assert [entry["status"] for entry in order["history"]] == ["PLACED", "PROCESSING"]
    assert order["amount"] == 25.5
    assert "paymentToken" not in order


def test_unknown_order_is_not_found(order_cloud, api_event, lambda_context):
    status, body = get(api_event, lambda_context, "missing")

    assert status == 404
    assert body == {"message": "Order missing not found"}
