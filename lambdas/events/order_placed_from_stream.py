"""order-placed-from-stream: the outbox pipe's enrichment, orders-table stream records ->
`Order Placed` details.

The pipe (orders stream -> order bus) hands over a batch of INSERT records of PLACED orders, as
a JSON array in DynamoDB JSON. An input template cannot turn an item's `items` (a list of maps,
`{"L": [{"M": ...}]}`) into the plain JSON list the event carries, so this function does: it
returns one detail per record, in order, and the pipe puts each on the bus as one event
(`source` and `detail-type` are the pipe's target parameters). A record that is not a valid
order raises: the pipe retries the batch, bisects it, and dead-letters the record that keeps
failing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

from lambdas.shared.dal.dynamo import from_dynamo
from lambdas.shared.plumbing.observability import count, instrument
from lambdas.shared.schemas.events import OrderPlacedDetail


def order_placed_detail(order: dict[str, Any]) -> OrderPlacedDetail:
    """The `Order Placed` detail of a stored order (its `createdAt` is the event's timestamp)."""
    return OrderPlacedDetail(
        orderId=order["orderId"],
        customerId=order["customerId"],
        customerEmail=order["customerEmail"],
        amount=order["amount"],
        items=from_dynamo(order["items"]),
        timestamp=order["createdAt"],
    )


def details(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event detail (plain JSON) per stream record."""
    stream = DynamoDBStreamEvent({"Records": records})
    result = [order_placed_detail(record.dynamodb.new_image).model_dump(mode="json")
              for record in stream.records]
    count("OrderEventsShaped", len(result))
    return result


def _handle(event: list[dict[str, Any]], context: Any) -> list[dict[str, Any]]:
    return details(event)


handler = instrument(_handle)
