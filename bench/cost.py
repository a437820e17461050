"""`cost`: what orders would cost a month on AWS, per service, from usage measured on the
local cloud and the price table in `bench/prices.py`.

Measured (one fresh local cloud, `ORDERS` orders to CONFIRMED after a warm-up order): Lambda
invocations per order and each function's duration (the executor's wall time per warm
invocation on this machine; Lambda bills its own duration, which at the configured memory may
be shorter or longer), Step Functions state transitions and duration per execution (execution
history and start/stop times), and CloudWatch Logs bytes per order (every function's log
group). The workflow is billed both ways, side by side: Standard per state transition, Express
per request and per GB-second of its duration (rounded up to 100 ms, at 64 MB). Memory comes from the program
itself for the stack billed (`prod`, evaluated under the unit-test mocks).

Counted from the code (`lambdas/`, the state machine), not measured: per order 2 API requests
(POST /orders and one GET /orders/{id}), 1 EventBridge event (OrderPlaced), 3 SQS requests
(EventBridge's send, the poller's receive and delete, batching ignored), and the DynamoDB
request units of `DYNAMODB_UNITS`; 1 SNS publish (warehouse) and 2 SES emails.
Not billed here: Cognito (sign-ins are per user, not per order; the first 10,000 monthly active
users are free), X-Ray, data transfer, KMS, the free tiers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from bench import prices
from bench.cloud import local_cloud
from bench.orders import customer_with_stock, place_order, wait_final
from bench.table import show

ORDERS = 10
DAYS = 30
DEFAULT_ORDERS_PER_DAY = (10_000, 1_000_000)
STACK = "prod"
# Request units per order for a one-line order (items under 1 KB), counted from lambdas/ (and
# seen per order by `bench calls`): create-order: caller's user (1 read), idempotency record
# put + update (2 writes), order put (1); process-order and notify-customer read the order
# (2 strongly consistent reads), validate-order reads the product (1, no read of the order);
# process/validate/reserve/notify write a status (4 writes); payment
# read + put + update (1 read, 2 writes); the stock reservation transaction (2 writes per item,
# 2 items with the order); the fan-out functions' idempotency records (3 functions x 2 writes).
DYNAMODB_UNITS = {"read": 1 + 2 + 1 + 1, "write": 2 + 1 + 4 + 2 + 4 + 6}
API_REQUESTS, EVENTS, SQS_REQUESTS, SNS_PUBLISHES, SES_EMAILS = 2, 1, 3, 1, 2


def run(orders_per_day: tuple[int, ...] = DEFAULT_ORDERS_PER_DAY) -> None:
    memory, architecture, alarms = _configured(STACK)
    usage = _measure()
    # The benchmark polls GET /orders/{id} until the order is final; a customer reads it once
    # (the GET in API_REQUESTS): get-order is billed at that one call, at its measured duration.
    if "get-order" in usage["functions"]:
        usage["functions"]["get-order"] = (1.0, usage["functions"]["get-order"][1])
    functions = []
    gb_seconds = 0.0
    for name, (per_order, duration_ms) in sorted(usage["functions"].items()):
        mb = memory.get(name)
        if mb is None:
            continue
        gb_s = per_order * duration_ms / 1000 * mb / 1024
        gb_seconds += gb_s
        functions.append([name, f"{per_order:.2f}", f"{duration_ms:.1f}", mb,
                          f"{gb_s * 1e6:.1f}"])
    invocations = sum(per_order for per_order, _ in usage["functions"].values())
    show(f"cost: Lambda per order ({ORDERS} orders measured on the local cloud; memory of the "
         f"{STACK} stack, {architecture})",
         ["function", "invocations / order", "duration ms (measured here)", "memory MB",
          "GB-s / order x 1e6"], functions,
         ["duration: the local executor's wall time per warm invocation on this machine;",
          "get-order: 1 read per order (the benchmark's own polling is left out)."])

    per_order = {
        "Lambda compute (GB-s)": gb_seconds * prices.LAMBDA_GB_SECOND[architecture],
        "Lambda requests": invocations * prices.LAMBDA_REQUEST,
        "API Gateway (REST)": API_REQUESTS * prices.API_GATEWAY_REST_REQUEST,
        "EventBridge (custom events)": EVENTS * prices.EVENTBRIDGE_CUSTOM_EVENT,
        "SQS (standard)": SQS_REQUESTS * prices.SQS_STANDARD_REQUEST,
        "DynamoDB on-demand": DYNAMODB_UNITS["read"] * prices.DYNAMODB_READ_REQUEST_UNIT
                              + DYNAMODB_UNITS["write"] * prices.DYNAMODB_WRITE_REQUEST_UNIT,
        "CloudWatch Logs ingestion":
            usage["log_bytes"] / 1024 ** 3 * prices.CLOUDWATCH_LOGS_INGESTED_GB,
        "SNS": SNS_PUBLISHES * prices.SNS_PUBLISH,
        "SES": SES_EMAILS * prices.SES_EMAIL,
    }
    fixed = {"CloudWatch alarms": alarms * prices.CLOUDWATCH_ALARM_MONTH}
    workflow = workflow_cost(usage["transitions"], usage["execution_ms"])
    headers = ["service", "per order USD"] + [f"{n:,} orders/day USD/month" for n in orders_per_day]

    def row(service: str, cost: float, monthly: float = 0.0) -> list[str]:
        return [service, f"{cost:.8f}"] + [f"{cost * n * DAYS + monthly:,.2f}"
                                           for n in orders_per_day]

    rows = [row(service, cost) for service, cost in per_order.items()]
    rows += [row(f"Step Functions ({kind})", cost) for kind, cost in workflow.items()]
    rows += [[service, "-"] + [f"{cost:,.2f}" for _ in orders_per_day]
             for service, cost in fixed.items()]
    rows += [row(f"total with {kind}", sum(per_order.values()) + cost, sum(fixed.values()))
             for kind, cost in workflow.items()]
    show(f"cost: monthly bill ({DAYS} days) of the {STACK} stack, {prices.REGION} on-demand "
         f"prices of {prices.PRICES_DATE} (bench/prices.py)", headers, rows,
         [f"measured per order: {invocations:.1f} invocations, {usage['transitions']:.1f} state "
          f"transitions and {usage['execution_ms']:.0f} ms per execution, "
          f"{usage['log_bytes'] / 1024:.1f} KiB of logs (local stack at INFO; "
          f"{STACK} logs at WARN, so less); counted from the code: {API_REQUESTS} API requests, "
          f"{EVENTS} event, {SQS_REQUESTS} SQS requests, {DYNAMODB_UNITS['read']} RRU / "
          f"{DYNAMODB_UNITS['write']} WRU, {SNS_PUBLISHES} SNS publish, {SES_EMAILS} emails;",
          f"{alarms} alarms at a fixed monthly price. Express: the execution duration measured "
          "here, billed in 100 ms steps at 64 MB. Neither workflow row counts the workflow's "
          "own execution logs (prod logs them at ERROR: failures only)."])


def workflow_cost(transitions: float, execution_ms: float) -> dict[str, float]:
    """USD per execution of the order workflow, Standard and Express."""
    steps = math.ceil(execution_ms / prices.STEP_FUNCTIONS_EXPRESS_BILLING_MS)
    gb_seconds = (steps * prices.STEP_FUNCTIONS_EXPRESS_BILLING_MS / 1000
                  * prices.STEP_FUNCTIONS_EXPRESS_MEMORY_MB / 1024)
    return {"Standard": transitions * prices.STEP_FUNCTIONS_STANDARD_TRANSITION,
            "Express": prices.STEP_FUNCTIONS_EXPRESS_REQUEST
                       + gb_seconds * prices.STEP_FUNCTIONS_EXPRESS_GB_SECOND}


def _configured(stack: str) -> tuple[dict[str, int], str, int]:
    """Memory (MB) per function, the architecture and the alarm count of `stack`'s program."""
    from tests.unit.mocks import evaluate

    graph = evaluate(stack)
    functions = graph.of_type("aws:lambda/function:Function")
    memory = {f.name: int(f.inputs.get("memorySize") or 128) for f in functions}
    architecture = (functions[0].inputs.get("architectures") or ["x86_64"])[0]
    return memory, architecture, len(graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))


def _measure() -> dict:
    with local_cloud() as cloud:
        cloud.wait_idle()
        customer, product = customer_with_stock(cloud, 100_000)
        time.sleep(2)  # the warm-up order's fan-out settles
        sfn, logs = cloud.aws("stepfunctions"), cloud.aws("logs")
        machine = cloud.outputs["StateMachineArn"]
        seen = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
        before = cloud.status()["functions"]
        since_ms = int(time.time() * 1000)
        for _ in range(ORDERS):
            order = wait_final(customer.api, place_order(customer.api, customer.user_id, product))
            if order["status"] != "CONFIRMED":
                raise RuntimeError(f"order ended {order['status']}")
        time.sleep(3)  # fan-out (emails, warehouse, inventory) runs after CONFIRMED
        cloud.wait_idle()
        after = cloud.status()["functions"]
        functions = {}
        for name, stats in after.items():
            calls = stats["invocations"] - before.get(name, {}).get("invocations", 0)
            if calls:
                run_ms = stats["run_ms"] - before.get(name, {}).get("run_ms", 0)
                functions[cloud.short_name(name)] = (calls / ORDERS, run_ms / calls)
        executions = [e["executionArn"] for e in
                      sfn.list_executions(stateMachineArn=machine)["executions"]
                      if e["executionArn"] not in seen]
        described = [sfn.describe_execution(executionArn=arn) for arn in executions]
        execution_ms = sum((d["stopDate"] - d["startDate"]).total_seconds() * 1000
                           for d in described) / max(1, len(described))
        transitions = sum(
            sum(1 for event in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
                if event["type"].endswith("StateEntered"))
            for arn in executions)
        log_bytes = 0
        for group in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]:
            for page in _pages(logs, group["logGroupName"], since_ms):
                log_bytes += sum(len(e["message"].encode()) + 26 for e in page)  # + 26: AWS's per-event overhead
        return {"functions": functions, "transitions": transitions / max(1, len(executions)),
                "execution_ms": execution_ms,
                "log_bytes": log_bytes / ORDERS}


def _pages(logs, group: str, since_ms: int):
    token = None
    while True:
        kwargs = {"logGroupName": group, "startTime": since_ms, **({"nextToken": token} if token else {})}
        page = logs.filter_log_events(**kwargs)
        yield page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--orders-per-day", type=int, nargs="+", default=DEFAULT_ORDERS_PER_DAY)
    run(tuple(parser.parse_args(argv).orders_per_day))
    return 0


if __name__ == "__main__":
    sys.exit(main())
