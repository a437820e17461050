"""daily-report: one UTC day of orders, aggregated and stored under its date."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lambdas.scheduled import daily_report
from lambdas.shared import dynamo
from tests.lambdas.order_fixtures import order_cloud  # noqa: F401  (fixture)
from tests.lambdas.order_fixtures import scheduled_event

DAY = "2024-05-01"


def line(product, quantity):
    return {"productId": product, "quantity": quantity}


@pytest.fixture
def seeded_day(order_cloud):
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


def test_empty_day_gives_zeros(order_cloud, lambda_context):
    report = daily_report.handler({"reportDate": "2024-01-01"}, lambda_context)

    assert report["orderCount"] == 0
    assert report["revenue"] == 0
    assert report["topProducts"] == []
    assert all(bucket == {"count": 0, "revenue": 0} for bucket in report["byStatus"].values())
    assert order_cloud.tables["reports"].get_item(Key={"reportDate": "2024-01-01"})["Item"]["orderCount"] == 0


def test_malformed_report_date_is_an_error(order_cloud, lambda_context):
    with pytest.raises(ValueError):
        daily_report.handler({"reportDate": "yesterday"}, lambda_context)
