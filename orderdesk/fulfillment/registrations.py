"""What the warehouse adds to shared places: the order hooks, the availability panel on the
order card, the "Warehouse" menu, history labels, and the reactions to order changes made
elsewhere (a cancelled or closed order gives its reservations back; a paid order may be
released or closed).

Loaded from FulfillmentConfig.ready().
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from orderdesk.core.errors import DomainError
from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.core.roles import Role, has_role
from orderdesk.orders import hooks
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus, PaymentStatus
from orderdesk.orders.models import CancellationReason, Order
from orderdesk.orders.registrations import ACTION_LABELS

from .permissions import WAREHOUSE_PAGES, can_cancel_lines, can_release, can_reserve, can_ship
from .selectors import line_states

log = logging.getLogger("orderdesk.fulfillment")


def _on_confirmed(**kwargs):
    from .services.release import on_order_confirmed

    on_order_confirmed(**kwargs)


hooks.on(hooks.ORDER_CONFIRMED, "fulfillment.reserve_and_release", _on_confirmed)

ACTION_LABELS.update(
    {
        "fulfillment.order.released": _("Released to the warehouse"),
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


def after_order_change(order_id: int) -> None:
    """After a transaction that changed an order (a payment, a credit decision...): release
    what became due and close what became done — each in its own transaction."""
    from .models import FulfillmentSettings, Reservation
    from .services import close_if_done, order_release_due, order_reserve

    steps = [order_release_due, close_if_done]
    if (
        FulfillmentSettings.load().reserve_on_confirm
        and not Reservation.objects.filter(order_id=order_id).exists()
    ):  # confirmed by another path (an approval, a credit release): reserve once
        steps.insert(0, lambda order: order_reserve(by=None, order=order, automatic=True))
    for step in steps:
        try:
            step(order=order_id)
        except DomainError as exc:
            log.warning(
                "order %s: %s failed: %s", order_id, getattr(step, "__name__", step), exc.code
            )


def _order_saved(sender, instance: Order, created: bool, **kwargs) -> None:
    if created or kwargs.get("raw"):
        return
    if instance.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
        from .models import Reservation

        if Reservation.objects.filter(order_id=instance.pk, quantity__gt=0).exists():
            from .services.stock import return_all_reservations

            return_all_reservations(order=instance)
        return
    if instance.status != OrderStatus.CONFIRMED:
        return
    waiting = instance.fulfillment_status == FulfillmentStatus.NOT_RELEASED
    done = (
        instance.payment_status == PaymentStatus.PAID
        and instance.fulfillment_status == FulfillmentStatus.SHIPPED
    )
    if waiting or done:
        pk = instance.pk
        transaction.on_commit(lambda: after_order_change(pk))


post_save.connect(_order_saved, sender=Order, dispatch_uid="fulfillment.order_saved")
