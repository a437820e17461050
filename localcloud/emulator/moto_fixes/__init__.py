"""Fixes to moto that the local cloud applies in its server process, where moto falls short of
what AWS guarantees and the platform depends on; one module per service:

- `dynamodb`: item operations one at a time, a failed transaction restores only the items it
  touched, AttributeValues serialized by copying them;
- `logs`: JSON filter patterns evaluated (moto treats them as no filter);
- `lambda_`: event source mappings stored only (the local cloud polls them);
- `cloudwatch`: DescribeAlarmHistory, which moto lacks;
- `stepfunctions`: execution logs, which moto never writes; each definition parsed once;
- `sns`: Publish skips the subscriptions whose queue policy denies the topic;
- `server`: per-request work of moto's server app whose answer never changes, done once.
"""

from __future__ import annotations

from localcloud.emulator.moto_fixes import (
    cloudwatch, dynamodb, lambda_, logs, server, sns, stepfunctions)


def apply_all() -> None:
    # First: the item operations' lock must also cover the rollback's saving and restoring.
    dynamodb.roll_back_transactions_item_by_item()
    dynamodb.serialize_dynamodb_item_operations()
    logs.evaluate_json_log_filter_patterns()
    dynamodb.copy_dynamodb_attribute_values()
    lambda_.store_event_source_mappings_only()
    cloudwatch.install()
    stepfunctions.install()
    stepfunctions.parse_each_definition_once()
    sns.skip_denied_subscriptions()
    # Last: the methods of each response class are listed once, after the fixes that add some.
    server.list_moto_modules_once()
    server.list_response_methods_once()
