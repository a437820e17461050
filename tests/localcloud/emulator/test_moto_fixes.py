"""The moto server as the local cloud runs it: a failing DynamoDB transaction leaves other
requests' writes alone, as on AWS; items of every type read back as written; event source
mappings are stored, never run by moto; Publish leaves out the subscriptions the local cloud
names."""

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


# Every AttributeValue type, nested ones included (binary inside maps and lists, empty ones).
EVERY_TYPE = {
    "id": {"S": "item-1"}, "n": {"N": "12.50"}, "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"x", b"\x01"]},
    "null": {"NULL": True}, "yes": {"BOOL": True}, "no": {"BOOL": False}, "empty": {"S": ""},
    "m": {"M": {"inner": {"S": "v"}, "blob": {"B": b"\x02"}, "deep": {"M": {"n": {"N": "0"}}}}},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x03"}, {"L": []}, {"M": {}}, {"NULL": True}]},
}


def test_items_of_every_type_read_back_as_written(dynamodb):
    dynamodb.create_table(TableName="types", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    dynamodb.put_item(TableName="types", Item=EVERY_TYPE)
    key = {"id": EVERY_TYPE["id"]}
    assert dynamodb.get_item(TableName="types", Key=key)["Item"] == EVERY_TYPE
    assert dynamodb.query(TableName="types", KeyConditionExpression="id = :id",
                          ExpressionAttributeValues={":id": EVERY_TYPE["id"]})["Items"] == [EVERY_TYPE]
    assert dynamodb.scan(TableName="types")["Items"] == [EVERY_TYPE]
    batch = dynamodb.batch_get_item(RequestItems={"types": {"Keys": [key]}})
    assert batch["Responses"]["types"] == [EVERY_TYPE]
    updated = dynamodb.update_item(TableName="types", Key=key, UpdateExpression="SET extra = :e",
                                   ExpressionAttributeValues={":e": {"B": b"\x04"}},
                                   ReturnValues="ALL_NEW")["Attributes"]
    assert updated == {**EVERY_TYPE, "extra": {"B": b"\x04"}}


def test_attribute_values_are_serialized_as_the_shape_walk_serializes_them():
    """The copy writes the same JSON as moto's own serializer, for the same result."""
    from moto.core.responses import get_service_model
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.dynamodb.models.dynamo_type import Item

    from localcloud.emulator.moto_fixes.dynamodb import copy_dynamodb_attribute_values

    copy_dynamodb_attribute_values()

    class ByShape(JSONSerializer):
        _serialize_type_structure = JSONSerializer._localcloud_by_shape

    operation = get_service_model("dynamodb").operation_model("Query")
    # What moto's Query hands its serializer: items as `Item.to_json()` gives them.
    stored = Item(hash_key=None, range_key=None, attrs=EVERY_TYPE).to_json()["Attributes"]
    result = {"Items": [stored, stored], "Count": 2, "ScannedCount": 2}
    copied = JSONSerializer(operation, value_picker=XFormedAttributePicker()).serialize(result)
    walked = ByShape(operation, value_picker=XFormedAttributePicker()).serialize(result)
    assert copied["body"] == walked["body"]
    assert '"B": "AP9ieXRlcw=="' in copied["body"]  # base64 of the binary value


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


def test_a_failed_transaction_puts_back_the_items_it_touched_and_writes_no_stream_record(
        dynamodb, moto_client):
    table = dynamodb.create_table(
        TableName="ledger", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    streams = moto_client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=table["TableDescription"]["LatestStreamArn"])
    iterator = streams.get_shard_iterator(
        StreamArn=table["TableDescription"]["LatestStreamArn"],
        ShardId=shard["StreamDescription"]["Shards"][0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    for key in ("kept", "updated", "deleted"):
        dynamodb.put_item(TableName="ledger", Item={"id": {"S": key}, "v": {"N": "1"}})
    before = {key: dynamodb.get_item(TableName="ledger", Key={"id": {"S": key}}).get("Item")
              for key in ("kept", "updated", "deleted", "new")}

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "ledger", "Item": {"id": {"S": "new"}, "v": {"N": "2"}}}},
            {"Update": {"TableName": "ledger", "Key": {"id": {"S": "updated"}},
                        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}}},
            {"Delete": {"TableName": "ledger", "Key": {"id": {"S": "deleted"}}}},
            {"ConditionCheck": {"TableName": "ledger", "Key": {"id": {"S": "kept"}},
                                "ConditionExpression": "attribute_not_exists(id)"}}])

    after = {key: dynamodb.get_item(TableName="ledger", Key={"id": {"S": key}}).get("Item")
             for key in before}
    assert after == before
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [record["eventName"] for record in records] == ["INSERT"] * 3  # the three puts only

    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "ledger", "Item": {"id": {"S": "new"}, "v": {"N": "2"}}}}])
    assert dynamodb.get_item(TableName="ledger", Key={"id": {"S": "new"}})["Item"]["v"] == {"N": "2"}


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


def test_what_the_server_lists_once_is_what_moto_lists_per_request():
    import inspect
    import os

    import moto
    from moto import backends
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    from localcloud.emulator.moto_fixes import server

    server.list_moto_modules_once()
    server.list_response_methods_once()

    package = os.path.dirname(moto.__file__)
    assert set(backends.list_of_moto_modules()) == {
        name for name in os.listdir(package)
        if os.path.isdir(os.path.join(package, name)) and not name.startswith("__")}
    assert set(responses.method_names_from_class(DynamoHandler)) == {
        name for name, _ in inspect.getmembers(DynamoHandler, inspect.isfunction)}
