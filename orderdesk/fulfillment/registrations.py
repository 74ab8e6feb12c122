"""What the warehouse adds to shared places: its handlers of the order hooks (a cancelled or
closed order gives its reservations back; a confirmation reserves; a confirmed order that
waits for release or is paid and shipped is released or closed after the commit — see
`services.reactions`), the availability panel on the order card, the "Warehouse" menu and
history labels.

Loaded from FulfillmentConfig.ready().
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.core.roles import Role, has_role
from orderdesk.orders import hooks
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus
from orderdesk.orders.models import CancellationReason
from orderdesk.orders.registrations import ACTION_LABELS, DETAIL_LABELS, DETAIL_VALUES

from .models import ReleaseLine, Reservation
from .permissions import WAREHOUSE_PAGES, can_cancel_lines, can_release, can_reserve, can_ship
from .selectors import line_states
from .services.reactions import on_lines_removing, on_order_changed, on_order_ended

hooks.on(hooks.ORDER_CANCELLED, "fulfillment.return_reservations", on_order_ended)
hooks.on(hooks.ORDER_CLOSED, "fulfillment.return_reservations", on_order_ended)
hooks.on(hooks.ORDER_CHANGED, "fulfillment.reserve_release_close", on_order_changed)
hooks.on(hooks.LINES_REMOVING, "fulfillment.return_removed_lines", on_lines_removing)
# read with the lock of a confirmation: a first one skips looking for reservations and releases
hooks.lock_fact("has_reservation", lambda: Exists(Reservation.objects.filter(order=OuterRef("pk"))))
hooks.lock_fact(
    "has_release", lambda: Exists(ReleaseLine.objects.filter(release__order=OuterRef("pk")))
)

RETURN_REASONS = {
    "cancelled": _("order cancelled"),
    "closed": _("order closed"),
    "amended": _("order amended"),
    "line_removed": _("line removed"),
    "line_cancelled": _("line cancelled"),
}
DETAIL_LABELS.update(
    {
        "lines": _("Lines"),
        "automatic": _("Automatically"),
        "receipt": _("Goods receipt no."),
        "adjustment": _("Stock adjustment no."),
        "freed": _("From stock another order gave back"),
        "passed_on": _("Passed on to orders waiting for stock"),
        "reserved": _("reserved"),
        "backordered": _("backordered"),
        "quantity": _("quantity"),
        "up_to": _("Due up to"),
        "date": _("date"),
    }
)
DETAIL_VALUES.update({"freed": RETURN_REASONS, "reason": RETURN_REASONS})

ACTION_LABELS.update(
    {
        "fulfillment.order.released": _("Released to the warehouse"),
        "fulfillment.order.picked": _("Picked"),
        "fulfillment.stock.reserved": _("Stock reserved"),
        "fulfillment.stock.unreserved": _("Reservation returned"),
        "fulfillment.shipment.confirmed": _("Shipment confirmed"),
        "fulfillment.stock.receipt": _("Goods received"),
        "fulfillment.stock.adjustment": _("Stock adjusted"),
        "orders.line.cancelled": _("Line cancelled"),
    }
)


def order_panel(request, order):
    """Availability, reservations, releases and line cancellation on the order card."""
    user = request.user
    if order.status == OrderStatus.DRAFT and not has_role(
        user, Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMINISTRATOR
    ):
        return None
    confirmed = order.status == OrderStatus.CONFIRMED
    may_cancel = confirmed and can_cancel_lines(user, order)
    return {
        "lines": line_states(order),
        "confirmed": confirmed,
        "may_reserve": confirmed and can_reserve(user, order),
        "may_release": confirmed and can_release(user),
        "may_ship": confirmed
        and order.fulfillment_status != FulfillmentStatus.NOT_RELEASED
        and can_ship(user),
        "may_cancel": may_cancel,
        "shipments_link": has_role(user, *WAREHOUSE_PAGES)
        and order.fulfillment_status
        in (FulfillmentStatus.PARTIALLY_SHIPPED, FulfillmentStatus.SHIPPED),
        "reasons": list(CancellationReason.objects.filter(active=True)) if may_cancel else [],
    }


register_panel(
    "order_card",
    "fulfillment",
    template="fulfillment/panels/_order.html",
    context=order_panel,
    order=20,
)
register_nav("warehouse", _("Warehouse"), "fulfillment:queue", order=35, roles=WAREHOUSE_PAGES)
register_nav(
    "stock",
    _("Stock"),
    "fulfillment:stock",
    order=36,
    roles=(Role.SALES_MANAGER, Role.SALES_HEAD, Role.CREDIT_CONTROLLER),
)
