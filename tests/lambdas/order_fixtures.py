"""Fixtures and real-shaped event samples for the order-side handler tests.

Fixtures are used by importing them into the test module (`from tests.lambdas.order_fixtures
import order_cloud`). `order_cloud` builds, in moto, everything the order functions touch beyond
the tables of `conftest.tables`: the order bus with a rule that copies `Order Placed` events into
an SQS queue (so tests count what was really published; `published_events` first relays the
orders stream to the bus as the outbox pipe does: its filter, its enrichment function, its
source and detail type), a trivial state machine, a verified
SES sender, the warehouse topic with an SQS subscriber, and the payment secret.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
import pytest
from aws_lambda_powertools.utilities import parameters
from moto.events.models import EventPattern

from components.builders.event_patterns import ORDER_PLACED, ORDER_SOURCE
from components.order_outbox import PLACED_INSERTS
from lambdas.events import order_placed_from_stream

from lambdas.shared.plumbing import idempotency as orders_idempotency
from lambdas.shared.plumbing.aws_clients import client as cached_client
from scripts import seed_stock
from tests.lambdas.conftest import FakeLambdaContext

REGION = "eu-west-1"
ACCOUNT = "123456789012"
SENDER = "orders@example.com"
CUSTOMER_ID = "c-1"
CUSTOMER_EMAIL = "ada@example.com"
PAYMENT_SECRET = json.dumps({"apiKey": "sk_test_order_platform"})
DEFAULT_ITEMS = [{"productId": "p-1", "quantity": 2}, {"productId": "p-2", "quantity": 1}]


@dataclass
class OrderCloud:
    tables: dict[str, Any]
    bus_name: str
    events_queue_url: str
    state_machine_arn: str
    topic_arn: str
    warehouse_queue_url: str
    secret_arn: str
    relayed: set[str] = field(default_factory=set)  # stream sequence numbers already relayed

    def received(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message waiting in the queue (received, not deleted)."""
        sqs = boto3.client("sqs", region_name=REGION)
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)

    def published_events(self) -> list[dict[str, Any]]:
        """The EventBridge events that reached the order bus, as the rule's SQS target got them
        (after relaying the orders stream through the outbox)."""
        self.relay_outbox()
        return [json.loads(message["Body"]) for message in self.received(self.events_queue_url)]

    def relay_outbox(self) -> None:
        """Put on the bus what the outbox pipe would: new stream records that pass its filter,
        shaped by its enrichment function."""
        streams = streams_client()
        stream_arn = self.tables["orders"].latest_stream_arn
        pattern = EventPattern.load(json.dumps(PLACED_INSERTS))
        records = []
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for record in streams.get_records(ShardIterator=iterator)["Records"]:
                record = json.loads(json.dumps(record, default=str))  # as the pipe has it: JSON
                sequence = record["dynamodb"]["SequenceNumber"]
                if sequence not in self.relayed and pattern.matches_event(record):
                    records.append(record)
                self.relayed.add(sequence)
        if not records:
            return
        details = order_placed_from_stream.handler(records, FakeLambdaContext())
        boto3.client("events", region_name=REGION).put_events(Entries=[
            {"EventBusName": self.bus_name, "Source": ORDER_SOURCE, "DetailType": ORDER_PLACED,
             "Detail": json.dumps(detail)} for detail in details])

    def emails_sent(self) -> int:
        return int(boto3.client("ses", region_name=REGION).get_send_quota()["SentLast24Hours"])

    def add_customer(self, user_id: str = CUSTOMER_ID, email: str = CUSTOMER_EMAIL) -> None:
        self.tables["users"].put_item(Item={"userId": user_id, "email": email, "name": "Ada"})

    def add_order(
        self,
        order_id: str = "o-1",
        status: str = "PLACED",
        items: list[dict[str, Any]] | None = None,
        amount: str = "25.50",
        payment_token: str = "tok_visa",
        created_at: str = "2024-05-01T10:00:00.000Z",
    ) -> dict[str, Any]:
        """Store an order record as create-order writes it."""
        order = {
            "orderId": order_id,
            "customerId": CUSTOMER_ID,
            "customerEmail": CUSTOMER_EMAIL,
            "items": items if items is not None else DEFAULT_ITEMS,
            "amount": Decimal(amount),
            "paymentToken": payment_token,
            "status": status,
            "history": [{"status": status, "at": created_at}],
            "createdDate": created_at[:10],
            "createdAt": created_at,
            "updatedAt": created_at,
        }
        self.tables["orders"].put_item(Item=order)
        return order

    def order(self, order_id: str = "o-1") -> dict[str, Any]:
        return self.tables["orders"].get_item(Key={"orderId": order_id}, ConsistentRead=True)["Item"]

    def set_stock(self, stock: dict[str, int]) -> None:
        """Seed stock the documented way (scripts/seed_stock.py)."""
        seed_stock.seed(self.tables["inventory"].name, stock)

    def stock(self, product: str) -> int | None:
        item = self.tables["inventory"].get_item(Key={"productId": product}).get("Item")
        return None if item is None or "stock" not in item else int(item["stock"])


def streams_client() -> Any:
    """DynamoDB Streams on moto: botocore's account-based endpoint
    (<account>.streams-ddb.<region>...) is not one moto's mock recognises; the regional one is."""
    return boto3.client("dynamodbstreams", region_name=REGION,
                        config=Config(account_id_endpoint_mode="disabled"))


def _fresh_caches() -> None:
    # As in a new container: no clients, persistence layers or secrets from an earlier test.
    cached_client.cache_clear()
    orders_idempotency.reset()
    parameters.clear_caches()


@pytest.fixture
def order_cloud(tables: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderCloud]:
    _fresh_caches()
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)

    bus_name = "orders-test"
    events.create_event_bus(Name=bus_name)
    events_queue_url = sqs.create_queue(QueueName="order-events-test")["QueueUrl"]
    events.put_rule(
        Name="order-placed",
        EventBusName=bus_name,
        EventPattern=json.dumps({"source": ["order.service"], "detail-type": ["Order Placed"]}),
    )
    events.put_targets(
        Rule="order-placed", EventBusName=bus_name, Targets=[{"Id": "queue", "Arn": _queue_arn(sqs, events_queue_url)}]
    )

    state_machine_arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="order-workflow-test",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/order-workflow-test",
    )["stateMachineArn"]

    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)

    topic_arn = sns.create_topic(Name="warehouse-test")["TopicArn"]
    warehouse_queue_url = sqs.create_queue(QueueName="warehouse-test")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=_queue_arn(sqs, warehouse_queue_url),
        Attributes={"RawMessageDelivery": "true"},
    )

    secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="payment-provider-test", SecretString=PAYMENT_SECRET
    )["ARN"]

    for name, value in {
        "EVENT_BUS_NAME": bus_name,
        "STATE_MACHINE_ARN": state_machine_arn,
        "SENDER_EMAIL": SENDER,
        "WAREHOUSE_TOPIC_ARN": topic_arn,
        "PAYMENT_SECRET_ARN": secret_arn,
    }.items():
        monkeypatch.setenv(name, value)

    yield OrderCloud(
        tables=tables,
        bus_name=bus_name,
        events_queue_url=events_queue_url,
        state_machine_arn=state_machine_arn,
        topic_arn=topic_arn,
        warehouse_queue_url=warehouse_queue_url,
        secret_arn=secret_arn,
    )
    _fresh_caches()


def _queue_arn(sqs: Any, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


# ---- Event samples, in the shapes AWS delivers them ------------------------------------------


def order_placed_detail(order_id: str = "o-1", **overrides: Any) -> dict[str, Any]:
    detail = {
        "orderId": order_id,
        "customerId": CUSTOMER_ID,
        "customerEmail": CUSTOMER_EMAIL,
        "amount": 25.5,
        "items": DEFAULT_ITEMS,
        "timestamp": "2024-05-01T10:00:00.000Z",
    }
    return {**detail, **overrides}


def order_placed_event(order_id: str = "o-1", **detail_overrides: Any) -> dict[str, Any]:
    """An `Order Placed` event as EventBridge delivers it to a Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Order Placed",
        "source": "order.service",
        "account": ACCOUNT,
        "time": "2024-05-01T10:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": order_placed_detail(order_id, **detail_overrides),
    }


def sqs_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    """One record of an SQS event source mapping batch."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1714557600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1714557600001",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:order-queue",
        "awsRegion": REGION,
    }


def sqs_record_from_message(message: dict[str, Any]) -> dict[str, Any]:
    """The Lambda record for a message received from SQS (as the event source mapping builds it)."""
    record = sqs_record(message["Body"], message["MessageId"])
    record.update(receiptHandle=message["ReceiptHandle"], md5OfBody=message["MD5OfBody"])
    record["attributes"].update(message.get("Attributes", {}))
    return record


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def workflow_state(order_id: str = "o-1", **overrides: Any) -> dict[str, Any]:
    """The workflow state as a task receives it (execution input plus earlier results)."""
    state = {
        "orderId": order_id,
        "customerId": CUSTOMER_ID,
        "customerEmail": CUSTOMER_EMAIL,
        "amount": 25.5,
        "items": DEFAULT_ITEMS,
        "paymentToken": "tok_visa",
    }
    return {**state, **overrides}


def scheduled_event(time: str) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/daily-report"],
        "detail": {},
    }
