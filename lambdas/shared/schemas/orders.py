"""The statuses of an order record (docs/contracts.md, Order statuses). Which status may follow
which is the status machine, in `logic/order_status.py`."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    PROCESSING = "PROCESSING"
    VALIDATED = "VALIDATED"
    PAID = "PAID"
    RESERVED = "RESERVED"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    REFUNDED = "REFUNDED"
