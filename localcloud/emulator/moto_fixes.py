"""Fixes to moto that the local cloud applies in its server process, where moto falls short of
what AWS guarantees and the platform depends on.

DynamoDB transactions: moto's `TransactWriteItems` deep-copies the tables it touches and, when a
condition fails, restores the copies, undoing every write other requests made to those tables
meanwhile (moto's server answers requests on many threads). On AWS a failed transaction changes
nothing, and other writes stand. So item reads and writes take one lock, and a transaction's
rollback can only ever undo its own writes.

CloudWatch Logs: moto treats a JSON filter pattern (`{ $.level = "ERROR" }`) as no filter and
returns every event; `json_log_patterns` evaluates them as AWS does.

SNS → SQS: moto delivers to every SQS subscription inside Publish, whatever the queue's policy.
The local cloud evaluates the queue policies before it forwards a Publish and names the
subscriptions the policy denies in the `X-Localcloud-Skip-Subscriptions` header (comma-separated
subscription ARNs); moto then delivers to the others only.
"""

from __future__ import annotations

import functools
import threading

from localcloud.core.http import SKIP_SUBSCRIPTIONS_HEADER

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


_publishing = threading.local()  # the subscriptions the current Publish must not deliver to


def skip_denied_subscriptions() -> None:
    """Make moto's Publish/PublishBatch leave out the subscriptions the header names."""
    from moto.sns.models import Subscription
    from moto.sns.responses import SNSResponse

    if getattr(Subscription, "_localcloud_skips", False):
        return

    def reading_header(action):
        @functools.wraps(action)
        def publish(self):
            named = self.headers.get(SKIP_SUBSCRIPTIONS_HEADER) or ""
            _publishing.skip = set(filter(None, named.split(",")))
            try:
                return action(self)
            finally:
                _publishing.skip = set()
        return publish

    deliver = Subscription.publish

    @functools.wraps(deliver)
    def publish_unless_skipped(self, *args, **kwargs):
        if self.arn not in getattr(_publishing, "skip", ()):
            return deliver(self, *args, **kwargs)
        return None

    SNSResponse.publish = reading_header(SNSResponse.publish)
    SNSResponse.publish_batch = reading_header(SNSResponse.publish_batch)
    Subscription.publish = publish_unless_skipped
    Subscription._localcloud_skips = True


def apply_all() -> None:
    serialize_dynamodb_item_operations()
    evaluate_json_log_filter_patterns()
    skip_denied_subscriptions()
