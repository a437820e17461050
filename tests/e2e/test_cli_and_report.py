"""Scenarios j and k: the real AWS CLI against the endpoint; the daily report on demand, stored
and summarised on the ops topic."""

from datetime import datetime, timezone
from decimal import Decimal

from tests.aws_cli import aws_cli
from tests.e2e.helpers import receive_all, subscribe_queue
from tests.waiting import wait_for


def test_aws_cli_works_against_the_local_endpoint(endpoint, outputs, api):
    created = api.user
    scan = aws_cli(endpoint, "dynamodb", "scan", "--table-name", outputs["UsersTableName"])
    assert created["userId"] in {i["userId"]["S"] for i in scan["Items"]}

    executions = aws_cli(endpoint, "stepfunctions", "list-executions",
                         "--state-machine-arn", outputs["StateMachineArn"])
    assert "executions" in executions

    queue = aws_cli(endpoint, "sqs", "create-queue", "--queue-name", "cli-check")["QueueUrl"]
    aws_cli(endpoint, "sqs", "send-message", "--queue-url", queue, "--message-body", "hello")
    received = aws_cli(endpoint, "sqs", "receive-message", "--queue-url", queue)
    assert [m["Body"] for m in received["Messages"]] == ["hello"]


def test_daily_report_fired_on_demand_reflects_todays_orders(aws, outputs, caller, fire_schedule):
    api = caller("report@example.com", name="R")
    placed = api.post("/orders", json={"customerId": api.sub, "amount": 12.5,
                                       "items": [{"productId": "p-report", "quantity": 1}],
                                       "paymentToken": "tok_visa"})
    assert placed.status_code == 201, placed.text
    today = datetime.now(timezone.utc).date().isoformat()
    # Subscribed before the run: SNS delivers only to the subscribers it has when publishing.
    ops_inbox = subscribe_queue(aws("sns"), aws("sqs"), outputs["OpsTopicArn"])
    fire_schedule(outputs["DailyReportRuleName"], {"reportDate": today})

    orders = aws("dynamodb").query(
        TableName=outputs["OrdersTableName"], IndexName="byCreatedDate",
        KeyConditionExpression="createdDate = :d",
        ExpressionAttributeValues={":d": {"S": today}})["Items"]
    report = wait_for(lambda: aws("dynamodb").get_item(
        TableName=outputs["ReportsTableName"], Key={"reportDate": {"S": today}}).get("Item"),
        what="today's report")
    assert int(report["orderCount"]["N"]) == len(orders) > 0
    assert Decimal(report["revenue"]["N"]) == sum(Decimal(o["amount"]["N"]) for o in orders)

    [summary] = wait_for(lambda: receive_all(aws("sqs"), ops_inbox), what="the ops summary")
    lines = summary["Body"].splitlines()
    assert lines[0] == f"Order report for {today}"
    assert f"Orders: {len(orders)}" in lines
