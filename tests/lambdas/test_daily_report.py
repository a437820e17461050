"""daily-report: one UTC day of orders, aggregated, stored under its date and summarised on the
ops topic."""

from __future__ import annotations

import json
from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdas.scheduled import daily_report
from lambdas.shared.dal import dynamo
from lambdas.shared.logic import reports
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import REGION, scheduled_event

DAY = "2024-05-01"


def line(product, quantity):
    return {"productId": product, "quantity": quantity}


@pytest.fixture
def ops_inbox(order_cloud, monkeypatch):
    """The ops topic with an SQS subscriber (SNS envelope kept, so the subject can be read).
    Returns a function giving the notifications published so far."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="ops-reports-test")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="ops-reports-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("OPS_TOPIC_ARN", topic_arn)
    return lambda: [json.loads(message["Body"]) for message in order_cloud.received(queue_url)]


@pytest.fixture
def seeded_day(order_cloud, ops_inbox):
    """Six orders on DAY (various statuses, seven products) and two on the days around it."""
    day_orders = [
        ("d-1", "CONFIRMED", "100.00", [line("p-1", 5), line("p-2", 1)]),
        ("d-2", "CONFIRMED", "50.50", [line("p-3", 4)]),
        ("d-3", "REJECTED", "20.00", [line("p-4", 3), line("p-1", 1)]),
        ("d-4", "REFUNDED", "10.25", [line("p-5", 2)]),
        ("d-5", "PROCESSING", "5.00", [line("p-6", 2), line("p-7", 1)]),
        ("d-6", "CONFIRMED", "0.25", [line("p-2", 1)]),
    ]
    for index, (order_id, status, amount, items) in enumerate(day_orders):
        order_cloud.add_order(
            order_id, status=status, amount=amount, items=items, created_at=f"{DAY}T{index:02d}:30:00.000Z"
        )
    order_cloud.add_order("before", status="CONFIRMED", amount="999", created_at="2024-04-30T23:59:59.999Z")
    order_cloud.add_order("after", status="CONFIRMED", amount="999", created_at="2024-05-02T00:00:00.000Z")
    return order_cloud


def test_report_aggregates_the_day(seeded_day, lambda_context):
    report = daily_report.handler({"reportDate": DAY}, lambda_context)

    assert report["reportDate"] == DAY
    assert report["orderCount"] == 6
    assert report["revenue"] == pytest.approx(186.0)
    assert report["byStatus"]["CONFIRMED"] == {"count": 3, "revenue": pytest.approx(150.75)}
    assert report["byStatus"]["REJECTED"] == {"count": 1, "revenue": 20}
    assert report["byStatus"]["REFUNDED"] == {"count": 1, "revenue": pytest.approx(10.25)}
    assert report["byStatus"]["PROCESSING"] == {"count": 1, "revenue": 5}
    assert report["byStatus"]["PLACED"] == {"count": 0, "revenue": 0}
    # p-1: 5+1, p-3: 4, p-4: 3, then p-2, p-5 and p-6 tie at 2 (by product id); p-7 is sixth.
    assert report["topProducts"] == [
        {"productId": "p-1", "quantity": 6},
        {"productId": "p-3", "quantity": 4},
        {"productId": "p-4", "quantity": 3},
        {"productId": "p-2", "quantity": 2},
        {"productId": "p-5", "quantity": 2},
    ]


def test_report_is_stored_under_its_date(seeded_day, lambda_context):
    report = daily_report.handler({"reportDate": DAY}, lambda_context)

    stored = seeded_day.tables["reports"].get_item(Key={"reportDate": DAY})["Item"]
    assert stored["orderCount"] == 6
    assert stored["revenue"] == Decimal("186.00")
    assert stored["topProducts"][0] == {"productId": "p-1", "quantity": 6}
    assert stored["generatedAt"] == report["generatedAt"]


def test_rerun_overwrites_the_day(seeded_day, lambda_context):
    daily_report.handler({"reportDate": DAY}, lambda_context)
    seeded_day.add_order("late", status="PLACED", amount="4", created_at=f"{DAY}T23:00:00.000Z")

    report = daily_report.handler({"reportDate": DAY}, lambda_context)

    assert report["orderCount"] == 7
    assert seeded_day.tables["reports"].scan()["Count"] == 1
    assert seeded_day.tables["reports"].get_item(Key={"reportDate": DAY})["Item"]["orderCount"] == 7


def test_schedule_reports_the_previous_utc_day(seeded_day, lambda_context):
    report = daily_report.handler(scheduled_event("2024-05-02T00:05:00Z"), lambda_context)

    assert report["reportDate"] == DAY
    assert report["orderCount"] == 6


def test_report_date_in_the_event_detail(seeded_day, lambda_context):
    event = scheduled_event("2024-06-10T00:05:00Z")
    event["detail"] = {"reportDate": DAY}

    assert daily_report.handler(event, lambda_context)["orderCount"] == 6


def test_all_pages_of_the_index_are_read(seeded_day, lambda_context):
    # Force pages of two items, so six orders need three queries.
    queries = []

    def small_pages(params, **_):
        params["Limit"] = 2
        queries.append(params)

    dynamo.dynamodb().meta.client.meta.events.register("provide-client-params.dynamodb.Query", small_pages)

    report = daily_report.handler({"reportDate": DAY}, lambda_context)

    assert report["orderCount"] == 6
    assert len(queries) >= 3


def test_empty_day_gives_zeros(order_cloud, ops_inbox, lambda_context):
    report = daily_report.handler({"reportDate": "2024-01-01"}, lambda_context)

    assert report["orderCount"] == 0
    assert report["revenue"] == 0
    assert report["topProducts"] == []
    assert all(bucket == {"count": 0, "revenue": 0} for bucket in report["byStatus"].values())
    assert order_cloud.tables["reports"].get_item(Key={"reportDate": "2024-01-01"})["Item"]["orderCount"] == 0


def test_malformed_report_date_is_an_error(order_cloud, lambda_context):
    with pytest.raises(ValueError):
        daily_report.handler({"reportDate": "yesterday"}, lambda_context)


def test_summary_is_published_to_the_ops_topic(seeded_day, ops_inbox, lambda_context):
    daily_report.handler({"reportDate": DAY}, lambda_context)

    [notification] = ops_inbox()
    assert notification["Subject"] == f"Order report {DAY}: 6 orders, revenue 186.00"
    assert notification["MessageAttributes"]["reportDate"]["Value"] == DAY
    assert notification["Message"].splitlines() == [
        f"Order report for {DAY}",
        "Orders: 6",
        "Revenue: 186.00",
        "By status:",
        "  PROCESSING: 1 (5.00)",
        "  CONFIRMED: 3 (150.75)",
        "  REJECTED: 1 (20.00)",
        "  REFUNDED: 1 (10.25)",
        "Top products:",
        "  p-1: 6",
        "  p-3: 4",
        "  p-4: 3",
        "  p-2: 2",
        "  p-5: 2",
    ]


def test_rerun_publishes_the_new_figures_again(seeded_day, ops_inbox, lambda_context):
    daily_report.handler({"reportDate": DAY}, lambda_context)
    seeded_day.add_order("late", status="PLACED", amount="4", created_at=f"{DAY}T23:00:00.000Z")

    daily_report.handler({"reportDate": DAY}, lambda_context)

    assert [n["Subject"] for n in ops_inbox()] == [
        f"Order report {DAY}: 6 orders, revenue 186.00",
        f"Order report {DAY}: 7 orders, revenue 190.00",
    ]


def test_empty_day_summary_says_so(order_cloud, ops_inbox, lambda_context):
    daily_report.handler({"reportDate": "2024-01-01"}, lambda_context)

    [notification] = ops_inbox()
    assert notification["Subject"] == "Order report 2024-01-01: 0 orders, revenue 0.00"
    assert notification["Message"].splitlines()[1:] == [
        "Orders: 0", "Revenue: 0.00", "By status: none", "Top products: none"]


def test_one_order_is_singular():
    report = reports.build_report(DAY, [{"status": "PLACED", "amount": Decimal("9.5"), "items": []}])

    assert reports.summary(report)[0] == f"Order report {DAY}: 1 order, revenue 9.50"


def test_report_is_stored_before_the_summary_is_published(seeded_day, ops_inbox, lambda_context, monkeypatch):
    # A failed publish fails the run (so Lambda retries it), with the report already stored.
    monkeypatch.setenv("OPS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:missing")

    with pytest.raises(ClientError, match="NotFound"):
        daily_report.handler({"reportDate": DAY}, lambda_context)

    assert seeded_day.tables["reports"].get_item(Key={"reportDate": DAY})["Item"]["orderCount"] == 6
    assert ops_inbox() == []


@pytest.mark.parametrize("bad", [
    {"amount": Decimal("1E+30")},                     # past the request model's ceiling
    {"amount": Decimal("-5")},
    {"amount": "12.50"},                              # a string written by hand
    {"items": [{"productId": "p-1", "quantity": Decimal("2.5")}]},
    {"items": [{"productId": "p-1", "quantity": Decimal("1E+30")}]},
    {"items": [{"productId": "p-1"}]},
    {"items": "p-1"},
    {"status": 7},
])
def test_an_order_that_cannot_be_aggregated_is_skipped_counted_and_reported(
        seeded_day, ops_inbox, lambda_context, bad):
    order = seeded_day.add_order("bad-1", created_at=f"{DAY}T23:00:00.000Z")
    seeded_day.tables["orders"].put_item(Item={**order, **bad})

    report = daily_report.handler({"reportDate": DAY}, lambda_context)

    # The other six orders are reported exactly as without the bad one.
    assert (report["orderCount"], report["revenue"]) == (6, pytest.approx(186.0))
    assert (report["skipped"], report["skippedOrders"]) == (1, ["bad-1"])
    stored = seeded_day.tables["reports"].get_item(Key={"reportDate": DAY})["Item"]
    assert stored["skipped"] == 1
    [notification] = ops_inbox()
    assert notification["Subject"] == f"Order report {DAY}: 6 orders, revenue 186.00, 1 skipped"
    assert "Skipped (cannot be aggregated): 1: bad-1" in notification["Message"].splitlines()


def test_a_report_without_bad_orders_skips_none(seeded_day, lambda_context):
    report = daily_report.handler({"reportDate": DAY}, lambda_context)

    assert (report["skipped"], report["skippedOrders"]) == (0, [])
