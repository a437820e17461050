"""Targets of the order-placed rule (email, inventory demand, warehouse notification) and the
outbox pipe's enrichment that shapes the `Order Placed` events."""
