"""process-order: consumes the order queue (each message body is an `Order Placed` event) and
starts one workflow execution per order, named after the order.

Partial batch responses: a message that is invalid or fails is reported in
`batchItemFailures` and comes back (then goes to the DLQ); the others are deleted.
A redelivered message is harmless: the execution name makes the start idempotent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from lambdas.shared.dal import order_workflow, orders_table
from lambdas.shared.logic import order_status
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.schemas.events import OrderPlacedMessage, WorkflowState
from lambdas.shared.schemas.orders import OrderStatus

# Records that fail to parse as OrderPlacedMessage are reported as failures by the processor.
processor = BatchProcessor(event_type=EventType.SQS, model=OrderPlacedMessage)


def start_workflow(record: OrderPlacedMessage) -> str:
    """Mark the order PROCESSING and start its execution; returns the order id."""
    placed = record.body.detail
    get_logger().set_correlation_id(placed.orderId)
    order = orders_table.get_order(placed.orderId)
    if order is None:
        raise orders_table.OrderNotFound(placed.orderId)

    # Only from PLACED; an order the workflow already moved on stays where it is.
    order_status.transition(placed.orderId, OrderStatus.PROCESSING)

    # The payment token is not in the event (events are widely readable): take it from the order.
    workflow_input = WorkflowState(**placed.model_dump(exclude={"timestamp"}), paymentToken=order["paymentToken"])
    if order_workflow.start_execution(workflow_input):
        count("WorkflowsStarted")
    else:
        get_logger().info("Workflow already started for this order")
    return placed.orderId


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=start_workflow, processor=processor, context=context)


handler = instrument(_handle)
