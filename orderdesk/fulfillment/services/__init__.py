"""Fulfillment services: every write to stock, reservations, releases, shipments and line
cancellations goes through these."""

from .cancel import line_cancel
from .closing import close_if_done, closing_reason
from .picking import order_mark_picked
from .release import (
    order_release,
    order_release_due,
    prepayment_received,
    release_blockers,
    release_due_orders,
)
from .shipping import shipment_create
from .stock import order_reserve, stock_adjust, stock_receive

__all__ = [
    "close_if_done",
    "closing_reason",
    "line_cancel",
    "order_mark_picked",
    "order_release",
    "order_release_due",
    "order_reserve",
    "prepayment_received",
    "release_blockers",
    "release_due_orders",
    "shipment_create",
    "stock_adjust",
    "stock_receive",
]
