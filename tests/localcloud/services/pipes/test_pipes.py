"""PipeRunners: DynamoDB stream -> filter -> Lambda enrichment -> event bus, on a real moto
(the real Streams API, the bus's own rule delivering to an SQS queue), with retries, bisection,
the dead-letter queue and StopPipe/StartPipe. The deploy side refuses what is not emulated."""

from __future__ import annotations

import json

import pytest

from localcloud.core.ports import InvokeResult
from localcloud.core.registry import PipeSpec
from localcloud.deploy.resources.pipes import PipeNotEmulated, pipe_spec
from localcloud.services.dynamodbstreams.reader import StreamReader
from localcloud.services.events.router import matches
from localcloud.services.pipes.runner import PipeRunners
from tests.localcloud.triggers_support import (  # noqa: F401  (moto_url is a fixture)
    ACCOUNT_ID, REGION, TestCloud, drain, function_arn, make_queue, moto_url, unique, wait_until)

PLACED_INSERTS = json.dumps({"eventName": ["INSERT"],
                             "dynamodb": {"NewImage": {"status": {"S": ["PLACED"]}}}})
ENRICH = function_arn("shape")


@pytest.fixture
def cloud(moto_url):
    return TestCloud(moto_url, time_scale=100.0)  # a simulated second of backoff is 10 ms


@pytest.fixture
def runners(cloud):
    runners = PipeRunners(cloud, matches=matches, open_stream=lambda arn, position:
                          StreamReader(cloud.aws("dynamodbstreams"), arn, position))
    yield runners
    runners.stop()


class Wiring:
    """A streamed table, a bus whose rule copies everything to a queue, a DLQ, a pipe."""

    def __init__(self, cloud, **settings):
        self.cloud = cloud
        ddb, events, sqs = cloud.aws("dynamodb"), cloud.aws("events"), cloud.aws("sqs")
        self.table = unique("orders")
        described = ddb.create_table(
            TableName=self.table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]
        bus = unique("bus")
        bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
        self.events_url, events_queue = make_queue(sqs, unique("events"))
        events.put_rule(Name="all", EventBusName=bus,
                        EventPattern=json.dumps({"source": ["order.service"]}))
        events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": events_queue}])
        self.dlq_url, dlq_arn = make_queue(sqs, unique("pipe-dlq"))
        name = unique("pipe")
        stream = described["LatestStreamArn"]
        cloud.aws("pipes").create_pipe(
            Name=name, RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/pipe", Source=stream,
            Target=bus_arn, SourceParameters={"DynamoDBStreamParameters": {
                "StartingPosition": "LATEST"}})
        self.spec = PipeSpec(name=name, arn=f"arn:aws:pipes:{REGION}:{ACCOUNT_ID}:pipe/{name}",
                             role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/pipe", source_arn=stream, target_arn=bus_arn, filters=[PLACED_INSERTS],
                             dead_letter_arn=dlq_arn, source="order.service",
                             detail_type="Order Placed", **settings)
        cloud.registry.pipes.append(self.spec)

    def put(self, order_id: str, status: str = "PLACED") -> None:
        self.cloud.aws("dynamodb").put_item(TableName=self.table, Item={
            "orderId": {"S": order_id}, "status": {"S": status}})

    def events(self, count: int) -> list[dict]:
        return [json.loads(m["Body"]) for m in drain(self.cloud.aws("sqs"), self.events_url,
                                                      count)]


def order_ids(records: list[dict]) -> list[str]:
    return [r["dynamodb"]["NewImage"]["orderId"]["S"] for r in records]


def shape(cloud, fail=lambda ids: False):
    """The enrichment double: one detail per record, or a function error when `fail(ids)`."""
    def respond(function, payload, invocation_type):
        if function != ENRICH:
            return None
        if fail(order_ids(payload)):
            return InvokeResult(200, b'{"errorMessage": "boom"}', function_error="Unhandled")
        return InvokeResult(200, json.dumps([{"orderId": i} for i in order_ids(payload)]).encode())
    cloud.responder = respond


def test_placed_inserts_are_enriched_and_put_on_the_bus_in_order(cloud, runners):
    wiring = Wiring(cloud, enrichment_function=ENRICH, batch_size=10)
    wiring.put("before-start")  # LATEST: written before the pipe started, never delivered
    shape(cloud)
    runners.start()
    wiring.put("o-1")
    wiring.put("o-1", status="CONFIRMED")  # a MODIFY: filtered out
    wiring.put("o-2")

    events = wiring.events(2)
    assert [e["detail"]["orderId"] for e in events] == ["o-1", "o-2"]
    assert {(e["source"], e["detail-type"]) for e in events} == {("order.service", "Order Placed")}
    enriched = [order_ids(call.payload) for call in cloud.calls(ENRICH)]
    assert [i for batch in enriched for i in batch] == ["o-1", "o-2"]
    assert runners.stats()[wiring.spec.name]["filtered_out"] == 1


def test_without_enrichment_the_record_is_the_detail(cloud, runners):
    wiring = Wiring(cloud)
    runners.start()
    wiring.put("o-raw")
    [event] = wiring.events(1)
    assert event["detail"]["eventName"] == "INSERT"
    assert event["detail"]["dynamodb"]["NewImage"]["orderId"] == {"S": "o-raw"}


def test_a_failing_batch_is_retried_until_it_succeeds(cloud, runners):
    wiring = Wiring(cloud, enrichment_function=ENRICH)
    failures = iter([True, True])
    shape(cloud, fail=lambda ids: next(failures, False))
    runners.start()
    wiring.put("o-retried")

    [event] = wiring.events(1)
    assert event["detail"]["orderId"] == "o-retried"
    assert len(cloud.calls(ENRICH)) == 3


def test_bisection_isolates_a_poison_record_which_goes_to_the_dlq(cloud, runners):
    wiring = Wiring(cloud, enrichment_function=ENRICH, batch_size=10,
                    maximum_batching_window_seconds=1, maximum_retry_attempts=2,
                    bisect_on_failure=True)
    shape(cloud, fail=lambda ids: "poison" in ids)
    runners.start()
    for order_id in ("o-a", "poison", "o-b"):
        wiring.put(order_id)

    assert sorted(e["detail"]["orderId"] for e in wiring.events(2)) == ["o-a", "o-b"]
    [message] = drain(cloud.aws("sqs"), wiring.dlq_url, 1)
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3  # the first try and 2 retries
    info = body["DDBStreamBatchInfo"]
    assert (info["streamArn"], info["batchSize"]) == (wiring.spec.source_arn, 1)
    assert runners.stats()[wiring.spec.name]["dead_lettered"] == 1


@pytest.mark.parametrize("missing", ["lambda:InvokeFunction", "events:PutEvents"])
def test_a_call_the_pipe_s_role_may_not_make_sends_the_batch_to_the_dlq(cloud, runners, missing):
    wiring = Wiring(cloud, enrichment_function=ENRICH, maximum_retry_attempts=1)
    shape(cloud)
    cloud.role_denies.add(missing)
    runners.start()
    wiring.put("o-denied")

    [message] = drain(cloud.aws("sqs"), wiring.dlq_url, 1)
    assert json.loads(message["Body"])["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert len(cloud.calls(ENRICH)) == (2 if missing == "events:PutEvents" else 0)


def test_a_stream_the_pipe_s_role_may_not_read_keeps_its_records_until_it_may(cloud, runners):
    wiring = Wiring(cloud)
    cloud.role_denies.add("dynamodb:GetRecords")
    runners.start()
    wiring.put("o-waiting")
    assert "Messages" not in cloud.aws("sqs").receive_message(QueueUrl=wiring.events_url,
                                                              WaitTimeSeconds=2)
    cloud.role_denies.clear()
    [event] = wiring.events(1)
    assert event["detail"]["dynamodb"]["NewImage"]["orderId"] == {"S": "o-waiting"}


def test_stop_pipe_pauses_and_start_pipe_resumes_without_losing_records(cloud, runners):
    wiring = Wiring(cloud, enrichment_function=ENRICH)
    shape(cloud)
    runners.start()
    cloud.aws("pipes").stop_pipe(Name=wiring.spec.name)
    wait_until(lambda: not runners.stats()[wiring.spec.name]["running"], timeout=5)
    wiring.put("o-while-stopped")
    cloud.aws("pipes").start_pipe(Name=wiring.spec.name)

    [event] = wiring.events(1)
    assert event["detail"]["orderId"] == "o-while-stopped"


# -- what the deployer refuses ----------------------------------------------------------------

STREAM = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/orders/stream/2026-01-01T00:00:00.000"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/orders"


def inputs(**changes):
    base = {"name": "p", "roleArn": "arn:aws:iam::123456789012:role/r", "source": STREAM,
            "target": BUS, "enrichment": ENRICH,
            "sourceParameters": {"dynamodbStreamParameters": {
                "startingPosition": "LATEST", "batchSize": 5, "maximumRetryAttempts": 7,
                "maximumRecordAgeInSeconds": 600, "onPartialBatchItemFailure": "AUTOMATIC_BISECT",
                "deadLetterConfig": {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:dlq"}},
                "filterCriteria": {"filters": [{"pattern": PLACED_INSERTS}]}},
            "targetParameters": {"eventbridgeEventBusParameters": {
                "source": "order.service", "detailType": "Order Placed"}}}
    base.update(changes)
    return base


def test_the_programs_pipe_is_recorded_with_its_settings():
    spec = pipe_spec("p", "arn:p", inputs())
    assert (spec.batch_size, spec.maximum_retry_attempts, spec.maximum_record_age_seconds,
            spec.bisect_on_failure, spec.filters, spec.enrichment_function,
            spec.source, spec.detail_type, spec.role_arn) == (
        5, 7, 600, True, [PLACED_INSERTS], ENRICH, "order.service", "Order Placed",
        "arn:aws:iam::123456789012:role/r")


@pytest.mark.parametrize("changes, key", [
    ({"source": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders"}, "source"),
    ({"target": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders"}, "target"),
    ({"enrichment": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:s"}, "enrichment"),
    ({"enrichmentParameters": {"inputTemplate": "{}"}}, "enrichmentParameters"),
    ({"logConfiguration": {"level": "INFO"}}, "logConfiguration"),
    ({"targetParameters": {"inputTemplate": "{}"}}, "targetParameters.inputTemplate"),
    ({"targetParameters": {"eventbridgeEventBusParameters": {"time": "$.x"}}},
     "targetParameters.eventbridgeEventBusParameters.time"),
    ({"sourceParameters": {"dynamodbStreamParameters": {"startingPosition": "LATEST",
                                                        "parallelizationFactor": 2}}},
     "sourceParameters.dynamodbStreamParameters.parallelizationFactor"),
])
def test_what_is_not_emulated_fails_the_deploy_naming_the_key(changes, key):
    with pytest.raises(PipeNotEmulated) as error:
        pipe_spec("p", "arn:p", inputs(**changes))
    assert str(error.value).startswith(f"{key}:")
