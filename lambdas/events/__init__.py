"""Targets of the order-placed rule: email, inventory demand and warehouse notification."""
