"""`OrderStore`: the orders table (with its by-date, by-status and awaiting-email indexes,
and its stream) and the idempotency table.

The orders table's stream is the transactional outbox: `OrderOutbox` turns each inserted
PLACED order into its `Order Placed` event, so placing an order is one write.

Both are shared by several order components, so they live apart from any one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components.tables import Index, Protection, table

BY_CREATED_DATE = "byCreatedDate"
# The stuck-order sweeper's queries (never a Scan): orders by status and last change, and the
# sparse index of confirmed orders whose confirmation email is still to be sent.
BY_STATUS = "byStatus"
AWAITING_EMAIL = "byConfirmationEmailPending"


@dataclass
class OrderStoreArgs:
    protection: Protection


class OrderStore(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrderStoreArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:OrderStore", name, None, opts)
        self.orders_table = table(
            "orders-table", hash_key="orderId", protection=args.protection, parent=self,
            indexes=[Index(BY_CREATED_DATE, hash_key="createdDate", range_key="createdAt"),
                     Index(BY_STATUS, hash_key="status", range_key="updatedAt"),
                     Index(AWAITING_EMAIL, hash_key="confirmationEmailPending",
                           range_key="updatedAt")],
            # The outbox reads new orders only: the new image is all it needs.
            stream_view_type="NEW_IMAGE")
        # Powertools idempotency records expire through the table's TTL.
        self.idempotency_table = table(
            "idempotency-table", hash_key="id", ttl_attribute="expiration",
            protection=args.protection, parent=self)
        # Query permissions on a GSI are granted on the index ARN, not the table ARN.
        self.by_created_date_arn = self.index_arn(BY_CREATED_DATE)
        self.by_status_arn = self.index_arn(BY_STATUS)
        self.awaiting_email_arn = self.index_arn(AWAITING_EMAIL)
        self.register_outputs({"orders_table_name": self.orders_table.name,
                               "idempotency_table_name": self.idempotency_table.name})

    def index_arn(self, index: str) -> pulumi.Output[str]:
        return self.orders_table.arn.apply(lambda arn: f"{arn}/index/{index}")
