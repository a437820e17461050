"""A DynamoDB stream read the way a poller reads it: DescribeStream for the shards,
GetShardIterator at the starting position, then GetRecords from each shard's iterator.

moto keeps every table's stream records (with a stream enabled) and answers the real Streams
API; records come back as the JSON a Lambda or pipe event carries (`ApproximateCreationDateTime`
as epoch seconds). A reader remembers its position per shard: `read` does not move it, so a batch not yet settled
is read again (records after it wait, as on AWS); `commit` passes a settled batch.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

SHARDS_TTL_SECONDS = 5.0


def _json_ready(record: dict) -> dict:
    """The record as an event carries it: datetimes as epoch seconds, recursively."""
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return int(value.timestamp())
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value
    return plain(record)


class StreamReader:
    """Reads one stream's records in order, across its shards, from a starting position."""

    def __init__(self, streams: Any, stream_arn: str, starting_position: str = "LATEST"):
        self.streams = streams  # a boto3 dynamodbstreams client
        self.stream_arn = stream_arn
        self.starting_position = starting_position
        # shard id -> the sequence number after which reading continues (None: start position)
        self._positions: dict[str, str | None] = {}
        self._shard_of: dict[str, str] = {}  # sequence number read -> its shard
        self._lock = threading.Lock()
        self._shard_ids: list[str] = []
        self._shards_until = 0.0

    def open(self) -> None:
        """Fix the starting point now (LATEST means records written from here on)."""
        for shard in self._shards():
            self._positions.setdefault(shard, self._start_sequence(shard))

    def read(self, limit: int) -> list[dict]:
        """Up to `limit` records after the committed position (not committed yet)."""
        records: list[dict] = []
        for shard in self._shards():
            if len(records) >= limit:
                break
            if shard not in self._positions:
                self._positions[shard] = None  # a new shard is read from its start
            iterator = self._iterator(shard, self._positions[shard])
            response = self.streams.get_records(ShardIterator=iterator, Limit=limit - len(records))
            for record in response.get("Records", []):
                self._shard_of[record["dynamodb"]["SequenceNumber"]] = shard
                records.append(_json_ready(record))
        return records

    def commit(self, records: list[dict]) -> None:
        """Continue after these records (settled: delivered, filtered out or dead-lettered)."""
        with self._lock:
            for record in records:
                sequence = record["dynamodb"]["SequenceNumber"]
                self._positions[self._shard_of.pop(sequence)] = sequence

    # -- the Streams API ---------------------------------------------------------------------

    def _shards(self) -> list[str]:
        # Shards change rarely (moto's never): described again every few seconds, not per read.
        if time.monotonic() >= self._shards_until:
            description = self.streams.describe_stream(
                StreamArn=self.stream_arn)["StreamDescription"]
            self._shard_ids = [shard["ShardId"] for shard in description.get("Shards", [])]
            self._shards_until = time.monotonic() + SHARDS_TTL_SECONDS
        return self._shard_ids

    def _iterator(self, shard: str, after: str | None) -> str:
        if after is None:
            request = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            request = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard,
                                               **request)["ShardIterator"]

    def _start_sequence(self, shard: str) -> str | None:
        if self.starting_position == "TRIM_HORIZON":
            return None
        # LATEST: after the newest record there is now (none: from the shard's start).
        iterator = self._iterator(shard, None)
        last = None
        while True:
            response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            batch = response.get("Records", [])
            if not batch:
                return last
            last = batch[-1]["dynamodb"]["SequenceNumber"]
            iterator = response["NextShardIterator"]
