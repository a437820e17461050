"""Fixes to moto's DynamoDB.

Transactions: moto's `TransactWriteItems` deep-copies the tables it touches and, when a
condition fails, restores the copies, undoing every write other requests made to those tables
meanwhile (moto's server answers requests on many threads). On AWS a failed transaction changes
nothing, and other writes stand. So item reads and writes take one lock, and a transaction's
rollback can only ever undo its own writes. The copies also made every transaction cost as much
as its tables' size (1.2 s on a table of 10,000 orders, where an empty one takes 7 ms): a
transaction now saves only the items it touches and, when it fails, puts those back and drops
the stream records it wrote.

Responses: moto's generic response serializer walks the AttributeValue shape member by
member (with name aliases) for every attribute of every item: ~4 ms per order item, so a Query
page of 3,700 orders took 16 s and the daily report of 10,000 orders timed out. Items are
already in the wire format (`{"S": ...}`); they are copied as the serializer would write them
(binary base64-encoded, strings as strings).
"""

from __future__ import annotations

import copy
import functools
import threading

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
