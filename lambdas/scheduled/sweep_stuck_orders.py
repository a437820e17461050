"""sweep-stuck-orders: finds orders that stopped short of a final status, re-drives them, and
counts them (`StuckOrders`, an EMF metric the StuckOrders alarm watches).

Run by a schedule. An order is stuck when its status is not final (PLACED, PROCESSING,
VALIDATED, PAID, RESERVED) and it has not changed for `STUCK_AFTER_MINUTES`; it is found
through the `byStatus` index (never a Scan). What re-drives it depends on where it stopped:

- PLACED: `Order Placed` is published again, directly on the bus (the outbox pipe only
  publishes inserts, so it cannot be made to send it twice); the order queue's consumer starts
  the execution, named after the order, at most once.
- any later status: the order's execution is looked up by name. Never started: it is
  started. Closed without success (FAILED, TIMED_OUT, ABORTED): it is redriven from the state
  that failed (RedriveExecution; a Standard execution's name cannot be started twice). Still
  running: left alone. Succeeded with the order unfinished: only reported. On an EXPRESS
  workflow (WORKFLOW_TYPE) executions can be neither described nor redriven: a new execution
  is started, which is safe because every step is idempotent and the stack settings make the
  stuck age longer than the workflow timeout (any earlier execution is over).

Confirmed orders whose confirmation email could not be sent (`byConfirmationEmailPending`)
get it out of band: notify-customer is invoked asynchronously, so Lambda retries it too.

One order that cannot be re-driven is logged and counted (`StuckOrdersNotRedriven`); the sweep
goes on. Returns `{stuck, emailsPending, actions: {action: count}}`.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from lambdas.shared.dal import functions, order_bus, order_workflow, orders_table
from lambdas.shared.plumbing.clock import iso_utc, utc_now
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.plumbing.settings import SweeperEnv
from lambdas.shared.schemas.events import OrderPlacedDetail, WorkflowState
from lambdas.shared.schemas.orders import OrderStatus

UNFINISHED = (OrderStatus.PLACED, OrderStatus.PROCESSING, OrderStatus.VALIDATED,
              OrderStatus.PAID, OrderStatus.RESERVED)
# Execution statuses RedriveExecution accepts.
REDRIVABLE = {"FAILED", "TIMED_OUT", "ABORTED"}


def sweep() -> dict[str, Any]:
    env = SweeperEnv.load()
    cutoff = iso_utc(utc_now() - timedelta(minutes=env.STUCK_AFTER_MINUTES))
    actions: Counter[str] = Counter()
    stuck = 0
    for status in UNFINISHED:
        for order in orders_table.orders_in_status(status, cutoff):
            stuck += 1
            actions[_attempt(lambda o: redrive(env, o), order)] += 1
    pending = 0
    for order in orders_table.orders_awaiting_email(cutoff):
        pending += 1
        actions[_attempt(lambda o: resend_confirmation(env.NOTIFY_FUNCTION_NAME, o), order)] += 1
    count("StuckOrders", stuck)
    count("ConfirmationEmailsPending", pending)
    count("StuckOrdersNotRedriven", actions["failed"])
    get_logger().info("Swept", extra={"stuck": stuck, "emailsPending": pending,
                                      "actions": dict(actions)})
    return {"stuck": stuck, "emailsPending": pending, "actions": dict(actions)}


def redrive(env: SweeperEnv, order: dict[str, Any]) -> str:
    """Re-drive one stuck order; returns what was done."""
    if order["status"] == OrderStatus.PLACED:
        order_bus.publish_order_placed(env.EVENT_BUS_NAME, OrderPlacedDetail.model_validate(
            {**order, "timestamp": order["createdAt"]}))
        return "republished"
    execution = None if env.WORKFLOW_TYPE == "EXPRESS" else \
        order_workflow.execution_status(order["orderId"])
    if execution is None:
        order_workflow.start_execution(WorkflowState.model_validate(order))
        return "started"
    if execution in REDRIVABLE:
        order_workflow.redrive_execution(order["orderId"])
        return "redriven"
    if execution == "SUCCEEDED":
        get_logger().error("Execution succeeded but the order is unfinished",
                           extra={"orderId": order["orderId"], "status": order["status"]})
        return "inconsistent"
    return "running"


def resend_confirmation(notify_function: str, order: dict[str, Any]) -> str:
    functions.invoke_later(notify_function,
                           WorkflowState.model_validate(order).model_dump_json(exclude={"inventory"}))
    return "emailResent"


def _attempt(action: Any, order: dict[str, Any]) -> str:
    try:
        return action(order)
    except Exception:  # one order must not stop the sweep: it is logged, counted, retried next run
        get_logger().exception("Stuck order not re-driven",
                               extra={"orderId": order.get("orderId"), "status": order.get("status")})
        return "failed"


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sweep()


handler = instrument(_handle)
