"""The local console at /_localcloud/, in headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium): every page loads and shows a real order placed here,
compared with what boto3 reads of the same cloud; the redrive button empties a DLQ. Its JSON
endpoints (log tail, timeline, queue, execution) are also checked over plain HTTP."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.orders import execution_arn, final_order, place, seed
from tests.waiting import wait_for


def _browser_binaries() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):  # `make test` installs them; never skip silently
        pytest.fail("the console tests need Debian's chromium and chromium-driver: "
                    "`make test` installs them (apt-get install -y chromium chromium-driver)")
    return chromium, driver


@pytest.fixture(scope="module")
def browser():
    chromium, driver = _browser_binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(argument)
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()


@pytest.fixture(scope="module")
def console(endpoint) -> str:
    return f"{endpoint}/_localcloud"


@pytest.fixture(scope="module")
def order(caller, aws, outputs) -> dict:
    """A real order, placed through the API and confirmed by the workflow."""
    customer = caller(name="Console")
    product = f"p-{uuid.uuid4().hex[:6]}"
    seed(aws, outputs, **{product: 5})
    placed = place(customer, customer.user, 40, [{"productId": product, "quantity": 1}])
    done = final_order(customer, placed["orderId"])
    assert done["status"] == "CONFIRMED"
    return done


def texts(browser, selector: str) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, selector)]


def timeline_json(console: str, order_id: str) -> list[dict]:
    response = requests.get(f"{console}/timeline", params={"order": order_id},
                            headers={"Accept": "application/json"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_index_shows_the_stack_resources_by_component(browser, console, outputs):
    browser.get(f"{console}/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "order-platform/local"
    assert outputs["ApiUrl"] in browser.find_element(By.ID, "outputs").text
    workflow = browser.find_element(
        By.XPATH, "//li[@class='component'][.//summary/b[text()='order-workflow']]")
    assert "order-platform:components:OrderWorkflow" in workflow.text
    # The state machine is the workflow component's child, shown with its real ARN.
    assert outputs["StateMachineArn"] in workflow.text


def test_functions_page_counts_invocations_and_tails_the_log(browser, console, order,
                                                             local_cloud):
    browser.get(f"{console}/functions")
    name = "order-platform-local-create-order"
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-function='{name}']")
    stats = local_cloud.function_stats()[name]
    assert int(row.find_element(By.CSS_SELECTOR, ".invocations").text) >= 1
    assert int(row.find_element(By.CSS_SELECTOR, ".cold-starts").text) >= 1
    assert int(row.find_element(By.CSS_SELECTOR, ".errors").text) == stats["errors"]

    row.find_element(By.LINK_TEXT, name).click()
    tail = browser.find_element(By.ID, "log-tail")
    # The script polls the JSON endpoint: the order's own log line arrives in the page.
    WebDriverWait(browser, 30).until(lambda _: order["orderId"] in tail.text)
    # Its log line and its EMF metrics record (no platform REPORT record: the program's
    # functions log platform records at WARN, as their LoggingConfig says).
    assert "Order placed" in tail.text and '"OrdersPlaced"' in tail.text


def test_log_tail_endpoint_gives_only_what_follows(console, order):
    url = f"{console}/functions/order-platform-local-create-order/logs"
    everything = requests.get(url, timeout=30).json()
    assert everything["events"] and everything["log_group"].startswith("/aws/lambda/")
    later = requests.get(url, params={"after": everything["next"] + 1}, timeout=30).json()
    assert all(e["timestamp"] > everything["next"] for e in later["events"])
    missing = requests.get(f"{console}/functions/no-such-function/logs", timeout=30)
    assert missing.status_code == 404 and "no-such-function" in missing.json()["message"]


def test_execution_page_draws_the_graph_with_the_path_taken(browser, console, order, aws,
                                                            outputs):
    arn = execution_arn(outputs, order["orderId"])
    history = aws("stepfunctions").get_execution_history(executionArn=arn)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history
               if "stateEnteredEventDetails" in e]

    browser.get(f"{console}/executions")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-execution='{order['orderId']}']")
    assert row.find_element(By.CSS_SELECTOR, ".status").text == "SUCCEEDED"
    row.find_element(By.LINK_TEXT, order["orderId"]).click()

    assert texts(browser, "#path li") == entered
    taken = [e.get_attribute("data-state") for e in
             browser.find_elements(By.CSS_SELECTOR, "#graph li.state.taken")]
    assert sorted(taken) == sorted(set(entered))
    all_states = [e.get_attribute("data-state") for e in
                  browser.find_elements(By.CSS_SELECTOR, "#graph li.state")]
    assert set(all_states) > set(entered)  # the refund and failure branches, not taken
    drawn = [e.get_attribute("data-state") for e in
             browser.find_elements(By.CSS_SELECTOR, "#graph-drawing g.node.taken")]
    assert sorted(drawn) == sorted(set(entered))
    # One path through the picture: a taken edge into every entered state but the first.
    taken_edges = browser.find_elements(By.CSS_SELECTOR, "#graph-drawing line.edge.taken")
    assert len(taken_edges) == len(entered) - 1
    first = browser.find_element(By.CSS_SELECTOR, f"#graph li[data-state='{entered[0]}']")
    first.find_element(By.CSS_SELECTOR, "details.io summary").click()
    assert order["orderId"] in first.find_element(By.CSS_SELECTOR, "pre.input").text
    assert first.find_element(By.CSS_SELECTOR, "pre.output").text


def test_timeline_orders_api_call_event_queue_and_workflow(browser, console, order):
    browser.get(f"{console}/timeline")
    search = browser.find_element(By.CSS_SELECTOR, "#search input[name=order]")
    search.send_keys(order["orderId"])
    search.submit()
    kinds = [e.get_attribute("data-kind") for e in
             WebDriverWait(browser, 30).until(
                 lambda b: b.find_elements(By.CSS_SELECTOR, "#timeline li.entry"))]
    firsts = [kinds.index(kind) for kind in ("api", "event", "queue", "workflow")]
    assert firsts == sorted(firsts), kinds
    assert "POST /orders → 201" in browser.find_element(By.CSS_SELECTOR, ".kind-api").text
    assert "ExecutionSucceeded" in texts(browser, ".kind-workflow")[-1]


def test_alarms_page_shows_each_alarm_and_its_history(browser, console, aws):
    cloudwatch = aws("cloudwatch")
    alarms = [a for page in cloudwatch.get_paginator("describe_alarms").paginate()
              for a in page["MetricAlarms"]]
    browser.get(f"{console}/alarms")
    shown = [e.get_attribute("data-alarm") for e in
             browser.find_elements(By.CSS_SELECTOR, "#alarms tr[data-alarm]")]
    assert sorted(shown) == sorted(a["AlarmName"] for a in alarms)

    alarm = alarms[0]
    browser.find_element(By.LINK_TEXT, alarm["AlarmName"]).click()
    assert browser.find_element(By.CSS_SELECTOR, "#alarm .state").text == alarm["StateValue"]
    history = browser.find_element(By.ID, "history")
    try:
        items = cloudwatch.describe_alarm_history(AlarmName=alarm["AlarmName"])
    except ClientError:
        # The endpoint cannot give it: the page says so instead of showing none.
        assert "DescribeAlarmHistory failed" in history.text
    else:
        for item in items["AlarmHistoryItems"]:
            assert item["HistorySummary"] in history.text


def test_redrive_button_empties_the_order_dlq(browser, console, order, aws, outputs):
    sqs = aws("sqs")
    # The order's real queue message (from the timeline), dead-lettered again by hand.
    body = next(e["detail"] for e in timeline_json(console, order["orderId"])
                if e["kind"] == "queue")
    assert json.loads(body)["detail"]["orderId"] == order["orderId"]
    sqs.send_message(QueueUrl=outputs["OrderDlqUrl"], MessageBody=body)
    dlq = outputs["OrderDlqUrl"].rsplit("/", 1)[-1]

    browser.get(f"{console}/queues")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-queue='{dlq}']")
    assert int(row.find_element(By.CSS_SELECTOR, ".visible").text) >= 1
    row.find_element(By.LINK_TEXT, dlq).click()
    peeked = browser.find_element(By.ID, "messages")
    assert order["orderId"] in peeked.get_attribute("textContent")

    browser.find_element(By.CSS_SELECTOR, "form.redrive button").click()
    result = WebDriverWait(browser, 60).until(
        lambda b: b.find_elements(By.ID, "redrive-result"))[0].text
    assert "moved 1" in result and "queue order-queue" in result, result
    assert browser.find_element(By.ID, "visible").text == "0"
    depth = sqs.get_queue_attributes(QueueUrl=outputs["OrderDlqUrl"], AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert depth == {"ApproximateNumberOfMessages": "0",
                     "ApproximateNumberOfMessagesNotVisible": "0"}
    # Redelivered to the order queue and consumed again (harmless: the execution exists), so
    # nothing is left behind for the other scenarios' DLQ checks.
    wait_for(lambda: sum(e["kind"] == "queue" and e["title"].endswith("(processed)")
                         for e in timeline_json(console, order["orderId"])) >= 2,
             what="process-order to process the redriven message")


def test_json_endpoints_answer_for_unknown_things(console):
    unknown = "arn:aws:states:eu-west-1:123456789012:execution:none:none"
    for path in (f"/executions/{unknown}", "/queues/no-such-queue", "/alarms/no-such-alarm"):
        response = requests.get(console + path, headers={"Accept": "application/json"},
                                timeout=30)
        assert response.status_code == 404, (path, response.text)
    nothing = requests.get(f"{console}/timeline", params={"order": "no-such-order"},
                           headers={"Accept": "application/json"}, timeout=30)
    assert nothing.json() == {"order": "no-such-order", "entries": []}
