"""OrderStore: the orders table with its by-date, by-status and awaiting-email indexes, and the
idempotency table."""

import pytest

from tests.unit.order_graph import STACKS, TABLE, settings

pytestmark = pytest.mark.parametrize("stack", STACKS)


def test_orders_table_is_keyed_by_order_id_with_its_indexes(graphs, stack):
    orders = graphs[stack].named("orders-table", TABLE).inputs
    assert orders["hashKey"] == "orderId"
    assert orders["billingMode"] == "PAY_PER_REQUEST"
    indexes = {index["name"]: index for index in orders["globalSecondaryIndexes"]}
    assert {name: index["keySchemas"] for name, index in indexes.items()} == {
        "byCreatedDate": [{"attributeName": "createdDate", "keyType": "HASH"},
                          {"attributeName": "createdAt", "keyType": "RANGE"}],
        # The stuck-order sweeper queries these: never a Scan.
        "byStatus": [{"attributeName": "status", "keyType": "HASH"},
                     {"attributeName": "updatedAt", "keyType": "RANGE"}],
        "byConfirmationEmailPending": [
            {"attributeName": "confirmationEmailPending", "keyType": "HASH"},
            {"attributeName": "updatedAt", "keyType": "RANGE"}],
    }
    for index in indexes.values():
        assert "hashKey" not in index and "rangeKey" not in index  # deprecated on indexes
        assert index["projectionType"] == "ALL"
    assert {(a["name"], a["type"]) for a in orders["attributes"]} == {
        ("orderId", "S"), ("createdDate", "S"), ("createdAt", "S"), ("status", "S"),
        ("updatedAt", "S"), ("confirmationEmailPending", "S")}


def test_idempotency_records_expire_through_the_ttl(graphs, stack):
    idempotency = graphs[stack].named("idempotency-table", TABLE).inputs
    assert idempotency["hashKey"] == "id"
    assert idempotency["ttl"] == {"attributeName": "expiration", "enabled": True}


@pytest.mark.parametrize("table", ["orders-table", "idempotency-table", "payments-table",
                                   "inventory-table", "reports-table"])
def test_order_tables_are_protected_where_the_stack_says(graphs, stack, table):
    protect = settings(stack).protect_stateful_resources
    resource = graphs[stack].named(table, TABLE)
    assert resource.options["protect"] is protect
    assert resource.options["retain_on_delete"] is protect
    assert resource.inputs["deletionProtectionEnabled"] is protect
    assert resource.inputs["serverSideEncryption"] == {"enabled": True}


def test_prod_protects_its_tables_and_dev_does_not(stack):
    assert settings(stack).protect_stateful_resources is (stack == "prod")
