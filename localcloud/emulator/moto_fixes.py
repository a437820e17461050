"""Fixes to moto that the local cloud applies in its server process, where moto falls short of
what AWS guarantees and the platform depends on.

DynamoDB transactions: moto's `TransactWriteItems` deep-copies the tables it touches and, when a
condition fails, restores the copies, undoing every write other requests made to those tables
meanwhile (moto's server answers requests on many threads). On AWS a failed transaction changes
nothing, and other writes stand. So item reads and writes take one lock, and a transaction's
rollback can only ever undo its own writes. The copies also made every transaction cost as much
as its tables' size (1.2 s on a table of 10,000 orders, where an empty one takes 7 ms): a
transaction now saves only the items it touches and, when it fails, puts those back and drops
the stream records it wrote.

CloudWatch Logs: moto treats a JSON filter pattern (`{ $.level = "ERROR" }`) as no filter and
returns every event; `json_log_patterns` evaluates them as AWS does.

DynamoDB responses: moto's generic response serializer walks the AttributeValue shape member by
member (with name aliases) for every attribute of every item: ~4 ms per order item, so a Query
page of 3,700 orders took 16 s and the daily report of 10,000 orders timed out. Items are
already in the wire format (`{"S": ...}`); they are copied as the serializer would write them
(binary base64-encoded, strings as strings).

Lambda event source mappings: moto runs a mapping itself inside SendMessage (SQS) or a table
write (DynamoDB streams), one record at a time and, without Docker, wrongly. The local cloud
polls mappings itself; moto only stores them (so `list-event-source-mappings` and the other
mapping APIs answer as on AWS) and never runs one.

CloudWatch: moto has no DescribeAlarmHistory; `alarm_history` keeps the state changes.

Step Functions: moto never writes execution logs; `execution_logs` does, per the state
machine's logging configuration.

SNS → SQS: moto delivers to every SQS subscription inside Publish, whatever the queue's policy.
The local cloud evaluates the queue policies before it forwards a Publish and names the
subscriptions the policy denies in the `X-Localcloud-Skip-Subscriptions` header (comma-separated
subscription ARNs); moto then delivers to the others only.
"""

from __future__ import annotations

import copy
import functools
import threading

from localcloud.core.http import SKIP_SUBSCRIPTIONS_HEADER
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


def roll_back_transactions_item_by_item() -> None:
    """Make a failed TransactWriteItems restore the items it touched, not copies of its tables."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend, "_localcloud_item_rollback", False):
        return

    class _NoTableCopies:
        """moto's `copy` module as `transact_write_items` sees it: a table "copy" is the table
        itself (its rollback then puts back the same object); anything else is copied."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _NoTableCopies
    transact = DynamoDBBackend.transact_write_items

    @functools.wraps(transact)
    def transact_write_items(self, transact_items):
        saved = _touched_items(self, transact_items)
        streams = {id(table): (table, len(table.stream_shard.items))
                   for table, _, _, _ in saved if table.stream_shard is not None}
        try:
            return transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, previous in reversed(saved):
                _put_back(table, hash_key, range_key, previous)
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise

    DynamoDBBackend.transact_write_items = transact_write_items
    DynamoDBBackend._localcloud_item_rollback = True


def _touched_items(backend, transact_items) -> list:
    """(table, hash key, range key, a copy of the item or None) of each entry's item."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue  # moto refuses it before writing anything
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = (op.get("Item") if op_type == "Put" else op.get("Key")) if table else None
        if not key or table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = (DynamoType(key[table.range_key_attr])
                     if table.range_key_attr and table.range_key_attr in key else None)
        saved.append((table, hash_key, range_key,
                      copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _put_back(table, hash_key, range_key, previous) -> None:
    """Restore one item as it was (absent: removed), writing no stream record."""
    if range_key is None:
        if previous is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = previous
    elif previous is None:
        if hash_key in table.items:
            table.items[hash_key].pop(range_key, None)
    else:
        table.items[hash_key][range_key] = previous


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


# AttributeValue members as moto's JSON serializer writes them (botocore's DynamoDB model).
_STRING_MEMBERS = ("S", "N")
_STRING_LIST_MEMBERS = ("SS", "NS")
_AS_IS_MEMBERS = ("NULL", "BOOL")


def copy_dynamodb_attribute_values() -> None:
    """Serialize DynamoDB AttributeValues by copying them, not by walking their shape."""
    from moto.core.serialize import BaseJSONSerializer

    if getattr(BaseJSONSerializer, "_localcloud_attribute_values", False):
        return
    by_shape = BaseJSONSerializer._serialize_type_structure

    def _serialize_type_structure(self, serialized, value, shape, key):
        if key and shape.name == "AttributeValue" and isinstance(value, dict):
            self._default_serialize(serialized, _attribute_value(value, self._base64), shape, key)
        else:
            by_shape(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure
    BaseJSONSerializer._localcloud_by_shape = by_shape  # kept for the equivalence test
    BaseJSONSerializer._localcloud_attribute_values = True


def _attribute_value(value: dict, base64) -> dict:
    copied = {}
    for member, item in value.items():
        if item is None:
            continue  # the serializer leaves out members without a value
        if member in _STRING_MEMBERS:
            copied[member] = _string(item)
        elif member in _STRING_LIST_MEMBERS:
            copied[member] = [_string(text) for text in item]
        elif member == "B":
            copied[member] = base64(item)
        elif member == "BS":
            copied[member] = [base64(blob) for blob in item]
        elif member == "M":
            copied[member] = {name: _attribute_value(nested, base64) for name, nested in item.items()}
        elif member == "L":
            copied[member] = [_attribute_value(nested, base64) for nested in item]
        elif member in _AS_IS_MEMBERS:
            copied[member] = item
    return copied


def _string(value):
    return str(value) if value not in (None, {}, []) else value


def store_event_source_mappings_only() -> None:
    """Make moto keep event source mappings without hooking them to their source."""
    from moto.awslambda.models import LambdaBackend

    if getattr(LambdaBackend, "_localcloud_mappings_stored_only", False):
        return
    create = LambdaBackend.create_event_source_mapping

    @functools.wraps(create)
    def create_stored_only(self, spec):
        mapping = create(self, spec)
        for hooks in _mapping_hooks(self.account_id, self.region_name):
            for key in [key for key, hooked in hooks.items() if hooked is mapping]:
                del hooks[key]
        return mapping

    LambdaBackend.create_event_source_mapping = create_stored_only
    LambdaBackend._localcloud_mappings_stored_only = True


def _mapping_hooks(account_id: str, region: str):
    """The per-source dicts through which moto runs mappings: queues, tables, streams."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends
    from moto.sqs.models import sqs_backends

    for queue in sqs_backends[account_id][region].queues.values():
        yield queue.lambda_event_source_mappings
    for table in dynamodb_backends[account_id][region].tables.values():
        yield table.lambda_event_source_mappings
    for stream in kinesis_backends[account_id][region].streams.values():
        yield stream.lambda_event_source_mappings


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
    # First: the item operations' lock must also cover the rollback's saving and restoring.
    roll_back_transactions_item_by_item()
    serialize_dynamodb_item_operations()
    evaluate_json_log_filter_patterns()
    copy_dynamodb_attribute_values()
    store_event_source_mappings_only()
    alarm_history.install()
    execution_logs.install()
    skip_denied_subscriptions()
