"""DynamoDB tables as the platform creates them: on-demand, encrypted, PITR and protection
from the stack settings. Stateful resources are protected and retained where the stack says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Protection:
    """How a stack treats its stateful resources (tables, queues holding data)."""

    protect: bool
    point_in_time_recovery: bool

    def options(self, parent: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, protect=self.protect,
                                      retain_on_delete=self.protect)


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: Optional[str] = None


def table(name: str, *, hash_key: str, protection: Protection, parent: pulumi.Resource,
          indexes: Sequence[Index] = (), ttl_attribute: Optional[str] = None,
          stream_view_type: Optional[str] = None) -> aws.dynamodb.Table:
    """An on-demand table keyed by one string attribute, with optional string GSIs and an
    optional stream (`stream_view_type`, e.g. NEW_IMAGE)."""
    attributes = {hash_key} | {i.hash_key for i in indexes} | {
        i.range_key for i in indexes if i.range_key}
    return aws.dynamodb.Table(
        name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=hash_key,
        attributes=[aws.dynamodb.TableAttributeArgs(name=a, type="S")
                    for a in sorted(attributes)],
        global_secondary_indexes=[
            aws.dynamodb.TableGlobalSecondaryIndexArgs(
                name=i.name, projection_type="ALL",
                # `hash_key`/`range_key` on an index are deprecated in pulumi-aws 7.
                key_schemas=[aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                    attribute_name=attribute, key_type=key_type)
                    for attribute, key_type in ((i.hash_key, "HASH"), (i.range_key, "RANGE"))
                    if attribute])
            for i in indexes] or None,
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl_attribute, enabled=True)
        if ttl_attribute else None,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
            enabled=protection.point_in_time_recovery),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
        stream_enabled=bool(stream_view_type) or None,
        stream_view_type=stream_view_type,
        deletion_protection_enabled=protection.protect,
        opts=protection.options(parent),
    )
