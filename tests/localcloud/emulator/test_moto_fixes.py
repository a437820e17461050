"""The moto server as the local cloud runs it: a failing DynamoDB transaction leaves other
requests' writes alone, as on AWS."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture(scope="module")
def dynamodb(moto_client):
    return moto_client("dynamodb")


def test_a_failed_transaction_does_not_undo_concurrent_writes(dynamodb):
    dynamodb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    # Enough items that copying the table for a rollback takes a while, as the orders table does.
    for n in range(300):
        dynamodb.put_item(TableName="orders", Item={"id": {"S": f"old-{n}"}, "pad": {"S": "x" * 200}})
    done = threading.Event()

    def failing_transactions() -> None:
        while not done.is_set():
            try:
                dynamodb.transact_write_items(TransactItems=[{"Update": {
                    "TableName": "orders", "Key": {"id": {"S": "old-0"}},
                    "UpdateExpression": "SET pad = :p", "ConditionExpression": "attribute_not_exists(id)",
                    "ExpressionAttributeValues": {":p": {"S": "y"}}}}])
            except dynamodb.exceptions.TransactionCanceledException:
                pass

    threads = [threading.Thread(target=failing_transactions) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        written = [f"new-{n}" for n in range(150)]
        for key in written:
            dynamodb.put_item(TableName="orders", Item={"id": {"S": key}})
    finally:
        done.set()
        for thread in threads:
            thread.join()

    lost = [key for key in written if "Item" not in dynamodb.get_item(TableName="orders", Key={"id": {"S": key}})]
    assert lost == [], f"{len(lost)} writes undone by failed transactions"


def test_publish_leaves_out_the_subscriptions_the_local_cloud_names(moto_client):
    """The local cloud names the SQS subscriptions whose queue policy denies the topic; moto
    delivers to the others only."""
    from localcloud.core.http import SKIP_SUBSCRIPTIONS_HEADER

    sns, sqs = moto_client("sns"), moto_client("sqs")
    topic = sns.create_topic(Name="skips")["TopicArn"]
    queues = {}
    for name in ("allowed", "denied"):
        url = sqs.create_queue(QueueName=f"skips-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        queues[name] = (url, sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                                           ReturnSubscriptionArn=True)["SubscriptionArn"])
    skipped = queues["denied"][1]
    sns.meta.events.register("before-sign.sns.*", lambda request, **_: request.headers.__setitem__(
        SKIP_SUBSCRIPTIONS_HEADER, skipped))
    sns.publish(TopicArn=topic, Message="one")
    sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "two"}])

    def received(name: str) -> int:
        return len(sqs.receive_message(QueueUrl=queues[name][0], MaxNumberOfMessages=10)
                   .get("Messages", []))
    assert received("allowed") == 2
    assert received("denied") == 0
