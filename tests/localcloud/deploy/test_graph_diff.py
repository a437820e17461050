"""The graph diff and the saved deployment's recorded calls, without a cloud."""

from __future__ import annotations

import datetime

import pulumi
import pytest
from botocore.exceptions import ClientError

from localcloud.deploy.graph_diff import ADOPT, CREATE, RESTART, UPDATE, GraphDiff, canonical
from localcloud.deploy.saved_state import Graph, RecordingClients, ReplayClients, ReplayMismatch

TABLE, ALARM = "aws:dynamodb/table:Table", "aws:cloudwatch/metricAlarm:MetricAlarm"


def diff(**previous: dict) -> GraphDiff:
    return GraphDiff({f"{TABLE if 'table' in k else ALARM}::{k}": v
                      for k, v in previous.items()},
                     updatable=frozenset({ALARM}), replacing=frozenset({"name"}))


def test_same_inputs_are_adopted_and_new_resources_created():
    graph = diff(orders_table={"hashKey": "orderId"})
    assert graph.decide(TABLE, "orders_table", {"hashKey": "orderId"}).action == ADOPT
    assert graph.decide(TABLE, "users_table", {"hashKey": "userId"}).action == CREATE


def test_a_change_is_an_update_only_for_types_changed_in_place():
    graph = diff(orders_table={"hashKey": "orderId"}, errors={"threshold": 1, "name": "a"})
    table = graph.decide(TABLE, "orders_table", {"hashKey": "id"})
    assert (table.action, table.changed) == (RESTART, ["hashKey"])
    alarm = graph.decide(ALARM, "errors", {"threshold": 2, "name": "a"})
    assert (alarm.action, alarm.changed) == (UPDATE, ["threshold"])


def test_a_new_name_replaces_even_an_updatable_type():
    graph = diff(errors={"threshold": 1, "name": "a"})
    assert graph.decide(ALARM, "errors", {"threshold": 1, "name": "b"}).action == RESTART


def test_ignored_changes_and_added_or_dropped_keys():
    graph = diff(errors={"threshold": 1, "secret": "x"})
    assert graph.decide(ALARM, "errors", {"threshold": 1, "secret": "y"},
                        ignore=frozenset({"secret"})).action == ADOPT
    dropped = diff(errors={"threshold": 1, "unit": "Count"})
    assert dropped.decide(ALARM, "errors", {"threshold": 1}).changed == ["unit"]


def test_resources_no_longer_registered_are_removed():
    graph = diff(orders_table={}, errors={})
    graph.decide(TABLE, "orders_table", {})
    assert graph.removed() == [f"{ALARM}::errors"]


def test_canonical_inputs_compare_archives_by_source_and_whole_floats_as_ints():
    code = pulumi.AssetArchive({"app.py": pulumi.FileAsset("lambdas/app.py"),
                                "shared": pulumi.FileArchive("lambdas/shared")})
    assert canonical({"code": code, "memory": 256.0, "ratio": 0.5}) == {
        "code": {"assetArchive": {"app.py": {"FileAsset": "lambdas/app.py"},
                                  "shared": {"FileArchive": "lambdas/shared"}}},
        "memory": 256, "ratio": 0.5}
    assert canonical(code) != canonical(pulumi.AssetArchive({"app.py": pulumi.FileAsset("b.py")}))


class _Sqs:
    def create_queue(self, **kwargs):
        return {"QueueUrl": f"http://q/{kwargs['QueueName']}",
                "Created": datetime.datetime(2026, 1, 2, 3, 4, 5), "ResponseMetadata": {}}

    def tag_queue(self, **kwargs):
        raise ClientError({"Error": {"Code": "InvalidParameterValue", "Message": "bad tag"}},
                          "TagQueue")


def test_recorded_calls_replay_without_the_emulator_and_survive_the_file(tmp_path):
    recording = RecordingClients(lambda service: _Sqs())
    first = recording("sqs").create_queue(QueueName="orders")
    with pytest.raises(ClientError):
        recording("sqs").tag_queue(QueueUrl=first["QueueUrl"], Tags={"": ""})
    graph = Graph()
    graph.put("aws:sqs/queue:Queue::orders", "aws:sqs/queue:Queue", {"name": "orders"},
              recording.calls)
    token = graph.write(str(tmp_path / "graph.json"))
    read, read_token = Graph.read(str(tmp_path / "graph.json"))
    assert read_token == token and read.inputs() == {"aws:sqs/queue:Queue::orders":
                                                     {"name": "orders"}}

    replay = ReplayClients(read.resources["aws:sqs/queue:Queue::orders"]["calls"])
    again = replay("sqs").create_queue(QueueName="anything")  # answered, never sent
    assert again == {k: v for k, v in first.items() if k != "ResponseMetadata"}
    with pytest.raises(ClientError) as refused:  # an AWS error a handler expects comes back
        replay("sqs").tag_queue(QueueUrl="anything", Tags={})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert refused.value.operation_name == "TagQueue"
    with pytest.raises(ReplayMismatch, match="sqs.create_queue was not called"):
        replay("sqs").create_queue(QueueName="orders")  # it was called once only
