"""Picking: the warehouse gathers what is released and not yet shipped before it ships."""

from __future__ import annotations

from django.utils.translation import gettext as _

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import RELEASED

from .. import selectors  # module, not names: selectors imports services._common
from ..permissions import can_ship
from . import _common as c


@atomic_with_retry
def order_mark_picked(*, by, order: Order | int) -> list[selectors.LineState]:
    """The warehouse marks the order's pick list as gathered: `fulfillment.order.picked` in
    the order's timeline with each line's quantity and the warehouse. Nothing moves (the
    shipment does that). Refusals: `shipment_not_permitted` (403), `order_not_found` (404),
    `order_not_released`, `nothing_to_pick` (409)."""
    if not can_ship(by):
        raise PermissionRefused(
            _("Only the warehouse picks and ships."), code="shipment_not_permitted"
        )
    order = c.lock_order_row(c.visible_order_pk(by, order))
    if order.status != OrderStatus.CONFIRMED or order.fulfillment_status not in RELEASED:
        raise Conflict(
            _("Order %(n)s is not released to the warehouse.") % {"n": order.number},
            code="order_not_released",
        )
    rows = selectors.pick_list(order)
    if not rows:
        raise Conflict(
            _("Order %(n)s has nothing released left to pick.") % {"n": order.number},
            code="nothing_to_pick",
        )
    c.record_order(
        order,
        by,
        [
            c.Entry(
                "fulfillment.order.picked",
                order,
                {},
                {
                    "warehouse": order.warehouse.code,
                    "lines": [{"position": r.line.position, "quantity": r.to_ship} for r in rows],
                },
            )
        ],
    )
    return rows
