"""The order side as composed in __main__: components, outputs and what Monitoring reads."""

import pytest

from tests.unit.order_graph import FUNCTION, QUEUE, STACKS, custom_graph

COMPONENTS = {"OrderStore": "orders", "OrderWorkflow": "order-workflow",
              "OrderQueue": "order-queue", "OrderEvents": "order-events",
              "OrderApi": "order-api", "DailyReport": "daily-report",
              "SenderEmail": "sender-email"}
OUTPUTS = ("EventBusArn", "StateMachineArn", "OrderQueueUrl", "OrdersTableName",
           "InventoryTableName", "PaymentsTableName", "AlertTopicArn", "WarehouseTopicArn",
           "ReportsTableName", "FanoutFailureQueueUrl", "OrderDlqUrl", "ApiUrl",
           "UsersTableName", "OpsTopicArn", "DailyReportRuleName")


@pytest.mark.parametrize("stack", STACKS)
def test_components_are_registered_with_the_project_type(graphs, stack):
    for kind, name in COMPONENTS.items():
        component = graphs[stack].named(name, f"order-platform:components:{kind}")
        assert component.options["parent"] is None


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_are_exported(graphs, stack):
    outputs = graphs[stack].outputs
    assert set(OUTPUTS) <= set(outputs)
    assert all(outputs[name] for name in OUTPUTS)
    assert outputs["OrdersTableName"] == graphs[stack].named(
        "orders-table", "aws:dynamodb/table:Table").outputs["name"]
    assert outputs["InventoryTableName"] == graphs[stack].named(
        "inventory-table", "aws:dynamodb/table:Table").outputs["name"]


def test_every_function_and_dead_letter_queue_is_exposed_to_monitoring():
    graph = custom_graph()
    exposed = graph.outputs["ComponentFunctions"]
    assert exposed == {
        "OrderWorkflow": ["validate-order", "process-payment", "reserve-inventory",
                          "notify-customer", "refund-payment"],
        "OrderQueue": ["process-order"],
        "OrderEvents": ["send-email", "update-inventory", "notify-warehouse",
                        "order-placed-from-stream"],
        "OrderApi": ["create-order", "get-order"],
        "DailyReport": ["daily-report"],
        "StuckOrderSweeper": ["sweep-stuck-orders"],
    }
    user_functions = {"create-user", "get-user", "update-user", "delete-user"}
    assert {f for names in exposed.values() for f in names} | user_functions == \
        {fn.name for fn in graph.of_type(FUNCTION)}
    dead_letter_queues = graph.outputs["ComponentDeadLetterQueues"]
    dlq_arns = {graph.named(n, QUEUE).outputs["arn"]
                for n in ("order-dlq", "order-events-dlq", "fanout-failures",
                          "daily-report-dlq", "outbox-dlq", "sweep-stuck-orders-dlq")}
    assert {a for arns in dead_letter_queues.values() for a in arns} == dlq_arns
    # Every queue but the order queue itself is a dead-letter queue.
    assert {q.outputs["arn"] for q in graph.of_type(QUEUE) if q.name != "order-queue"} == \
        dlq_arns
