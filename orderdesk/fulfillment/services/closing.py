"""An order closes itself when its goods are out (or the rest cancelled) and it is paid."""

from __future__ import annotations

from orderdesk.core.db import atomic_with_retry
from orderdesk.orders.choices import OrderStatus, PaymentStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services.closing import order_close_automatic

from . import _common as c


def closing_reason(order: Order) -> str | None:
    """Why the rule closes `order` now, or None: confirmed; every line shipped or its rest
    cancelled, something shipped; paid; an order shipped only in part (a cancelled
    remainder) only when `FulfillmentSettings.close_partially_shipped` allows."""
    if order.status != OrderStatus.CONFIRMED or order.payment_status != PaymentStatus.PAID:
        return None
    lines = list(order.lines.all())
    if not lines or any(c.open_quantity(li) > 0 for li in lines):
        return None
    if not any(li.shipped_quantity > 0 for li in lines):
        return None
    if any(li.cancelled_quantity > 0 for li in lines):
        if not c.fulfillment_settings().close_partially_shipped:
            return None
        return "shipped_rest_cancelled_and_paid"
    return "shipped_and_paid"


@atomic_with_retry
def close_if_done(*, order: Order | int) -> Order | None:
    """Close the order by rule when it is done (see `closing_reason`), the system acting;
    None otherwise."""
    order = c.lock_order_row(order)
    reason = closing_reason(order)
    if reason is None:
        return None
    return order_close_automatic(by=None, order=order, reason=reason)
