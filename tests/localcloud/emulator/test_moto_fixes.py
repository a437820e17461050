"""The moto server as the local cloud runs it: a failing DynamoDB transaction leaves other
requests' writes alone, as on AWS; event source mappings are stored, never run by moto."""

from __future__ import annotations

import io
import threading
import zipfile

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


def test_an_event_source_mapping_is_stored_and_never_run_by_moto(moto_client):
    iam, lambda_, sqs = moto_client("iam"), moto_client("lambda"), moto_client("sqs")
    role = iam.create_role(RoleName="mapped", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("app.py", "def handler(event, context):\n    return None\n")
    lambda_.create_function(FunctionName="mapped", Runtime="python3.13", Role=role,
                            Handler="app.handler", Code={"ZipFile": archive.getvalue()})
    url = sqs.create_queue(QueueName="mapped")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    created = lambda_.create_event_source_mapping(EventSourceArn=arn, FunctionName="mapped",
                                                  BatchSize=5)

    sqs.send_message(QueueUrl=url, MessageBody="for the local poller")

    [listed] = lambda_.list_event_source_mappings(FunctionName="mapped")["EventSourceMappings"]
    assert (listed["UUID"], listed["BatchSize"], listed["State"]) == (created["UUID"], 5,
                                                                      "Enabled")
    # moto ran no mapping (it would have received the message once, failed to run the function
    # without Docker and made it visible again): this is the message's first receive
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1,
                                   MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert [(message["Body"], message["Attributes"]["ApproximateReceiveCount"])
            for message in received.get("Messages", [])] == [("for the local poller", "1")]
