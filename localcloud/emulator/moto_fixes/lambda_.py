"""Fix to moto's Lambda event source mappings: moto runs a mapping itself inside SendMessage (SQS)
or a table write (DynamoDB streams), one record at a time and, without Docker, wrongly. The local
cloud polls mappings itself; moto only stores them (so `list-event-source-mappings` and the other
mapping APIs answer as on AWS) and never runs one."""

from __future__ import annotations

import functools

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
