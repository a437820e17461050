"""Fixes to moto that the local cloud applies in its server process, where moto falls short of
what AWS guarantees and the platform depends on.

DynamoDB transactions: moto's `TransactWriteItems` deep-copies the tables it touches and, when a
condition fails, restores the copies, undoing every write other requests made to those tables
meanwhile (moto's server answers requests on many threads). On AWS a failed transaction changes
nothing, and other writes stand. So item reads and writes take one lock, and a transaction's
rollback can only ever undo its own writes.

CloudWatch Logs: moto treats a JSON filter pattern (`{ $.level = "ERROR" }`) as no filter and
returns every event; `json_log_patterns` evaluates them as AWS does.

CloudWatch: moto has no DescribeAlarmHistory; `alarm_history` keeps the state changes.

Step Functions: moto never writes execution logs; `execution_logs` does, per the state
machine's logging configuration.
"""

from __future__ import annotations

import functools
import threading

from localcloud.emulator import alarm_history, execution_logs

# The backend's item operations (batch writes and transactions call these, hence reentrant).
_ITEM_OPERATIONS = ("get_item", "put_item", "update_item", "delete_item", "query", "scan",
                    "transact_write_items")


def serialize_dynamodb_item_operations() -> None:
    """Make moto's DynamoDB item operations one at a time, process-wide."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_localcloud_serialized", False):
        return
    lock = threading.RLock()
    for name in _ITEM_OPERATIONS:
        setattr(DynamoDBBackend, name, _holding(lock, getattr(DynamoDBBackend, name)))
    DynamoDBBackend._localcloud_serialized = True


def _holding(lock: threading.RLock, operation):
    @functools.wraps(operation)
    def serialized(*args, **kwargs):
        with lock:
            return operation(*args, **kwargs)
    return serialized


def evaluate_json_log_filter_patterns() -> None:
    """Make moto's log event filter (FilterLogEvents, live tail) understand JSON patterns."""
    from moto.logs import models
    from moto.logs.exceptions import InvalidParameterException

    from localcloud.emulator import json_log_patterns

    if getattr(models.EventMessageFilter, "_localcloud_json", False):
        return

    class EventMessageFilter(models.EventMessageFilter):
        _localcloud_json = True

        def __init__(self, pattern: str):
            self.json_matches = None
            if pattern and json_log_patterns.is_json_pattern(pattern):
                try:
                    self.json_matches = json_log_patterns.compile_pattern(pattern)
                except ValueError as error:
                    raise InvalidParameterException(msg=f"Invalid filter pattern: {error}") from None
            else:
                super().__init__(pattern)

        def matches(self, message: str) -> bool:
            return self.json_matches(message) if self.json_matches else super().matches(message)

    models.EventMessageFilter = EventMessageFilter


def apply_all() -> None:
    serialize_dynamodb_item_operations()
    evaluate_json_log_filter_patterns()
    alarm_history.install()
    execution_logs.install()
