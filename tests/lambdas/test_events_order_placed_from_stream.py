"""order-placed-from-stream: the outbox pipe's enrichment turns orders-table stream records
(read back from moto's real stream) into `Order Placed` details the fan-out targets accept."""

from __future__ import annotations

import json

import pytest

from lambdas.events import order_placed_from_stream
from lambdas.shared.schemas.events import parse_order_placed
from tests.lambdas.order_fixtures import (CUSTOMER_EMAIL, CUSTOMER_ID, DEFAULT_ITEMS, REGION,
                                      streams_client)
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)


def stream_records(order_cloud) -> list[dict]:
    """The orders table's stream records as the pipe hands them over (JSON)."""
    streams = streams_client()
    arn = order_cloud.tables["orders"].latest_stream_arn
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return json.loads(json.dumps(streams.get_records(ShardIterator=iterator)["Records"],
                                 default=str))


def test_each_record_becomes_the_detail_of_its_order_in_order(order_cloud, lambda_context):
    order_cloud.add_order("o-1", amount="1250.75")
    order_cloud.add_order("o-2", amount="10", items=[{"productId": "p-9", "quantity": 3}])

    details = order_placed_from_stream.handler(stream_records(order_cloud), lambda_context)

    assert details == [
        {"orderId": "o-1", "customerId": CUSTOMER_ID, "customerEmail": CUSTOMER_EMAIL,
         "amount": 1250.75, "items": DEFAULT_ITEMS, "timestamp": "2024-05-01T10:00:00Z"},
        {"orderId": "o-2", "customerId": CUSTOMER_ID, "customerEmail": CUSTOMER_EMAIL,
         "amount": 10, "items": [{"productId": "p-9", "quantity": 3}],
         "timestamp": "2024-05-01T10:00:00Z"},
    ]
    # Exactly what the rule's targets parse, with the pipe's source and detail type.
    event = {"version": "0", "id": "e-1", "source": "order.service",
             "detail-type": "Order Placed", "account": "123456789012",
             "time": "2024-05-01T10:00:00Z", "region": REGION, "resources": [],
             "detail": details[0]}
    assert parse_order_placed(event).detail.amount == details[0]["amount"]


def test_a_record_that_is_not_an_order_fails_the_batch(order_cloud, lambda_context):
    # A PLACED item without line items: the pipe must retry and dead-letter it, not drop it.
    order_cloud.tables["orders"].put_item(Item={
        "orderId": "o-bad", "customerId": CUSTOMER_ID, "customerEmail": CUSTOMER_EMAIL,
        "amount": 5, "items": [], "status": "PLACED", "createdAt": "2024-05-01T10:00:00.000Z"})

    with pytest.raises(ValueError):
        order_placed_from_stream.handler(stream_records(order_cloud), lambda_context)
