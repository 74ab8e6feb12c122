"""What the warehouse does when an order changes elsewhere (the `orders.hooks` handlers).

The order services emit the events explicitly (`orders/hooks.py` lists who emits what), in
their own transaction with the order row locked:

- `ORDER_CANCELLED`, `ORDER_CLOSED`: the order gives all its reserved stock back, in the same
  transaction (a cancellation that could not return its stock must not happen).
- `LINES_REMOVING` (an amendment removes lines): their reservations return first, in the
  same transaction (the reservation rows are deleted with the lines).
- `ORDER_CHANGED` with `CHANGE_AMENDED`: reservations above what each line still needs
  (quantity less shipped less cancelled) return, in the same transaction; when the order is
  still confirmed and `reserve_on_confirm` is on, what a raised or added line lacks is
  reserved there too (an amendment that reopened approval or held it waits for the next
  confirmation).
- `ORDER_CHANGED` with `CHANGE_CONFIRMED` (every confirmation: confirm, last approval, release
  from credit hold, again after a reopened approval or a hold): in the same transaction,
  with the order and lines the confirming service locked and read (nothing is locked or
  read twice), reserve what the open lines lack when `FulfillmentSettings.reserve_on_confirm`
  is on, then release what is due today when nothing blocks it (`release_at_confirmation`,
  in a savepoint: a release that fails never undoes the confirmation). When a blocker
  (credit control) objects or the release failed, it is asked again after the commit, as
  any other change does (below).
- `ORDER_CHANGED` (any other change) of a confirmed order that waits for its first release,
  or that is now paid and shipped: after the commit, `after_order_change` releases what is
  due and closes what is done, each in its own transaction. After the commit because the
  release gate reads what other transactions decide (credit control's blockers, the ledger's
  prepayment items) and because a release or a closing that fails must never undo the
  payment or the change that made it possible: the daily `release_orders` (and the next
  change) tries again.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

from orderdesk.core.errors import DomainError
from orderdesk.orders import hooks
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus, PaymentStatus
from orderdesk.orders.models import Order

from . import _common as c
from .closing import close_if_done
from .release import order_release_due, release_at_confirmation
from .stock import reserve_on_confirmation, return_all_reservations, return_reservations

log = logging.getLogger("orderdesk.fulfillment")


def on_order_ended(*, by, order: Order, **_kw) -> None:
    """hooks.ORDER_CANCELLED / ORDER_CLOSED: every reservation of the order returns."""
    return_all_reservations(by=by, order=order)


def on_lines_removing(*, by, order: Order, lines, **_kw) -> None:
    """hooks.LINES_REMOVING: an amendment deletes lines (and their reservation rows with
    them): what they hold goes back to the stock first, in the same transaction."""
    return_reservations(by=by, order=order, lines=lines, keep_open=False, reason="line_removed")


def _waiting(status: str, fulfillment: str, payment: str) -> tuple[bool, bool]:
    """(waits for its first release, shipped and paid) for a confirmed order."""
    if status != OrderStatus.CONFIRMED:
        return False, False
    return (
        fulfillment == FulfillmentStatus.NOT_RELEASED,
        payment == PaymentStatus.PAID and fulfillment == FulfillmentStatus.SHIPPED,
    )


def on_order_changed(*, by, order: Order, change: str, **_kw) -> None:
    """hooks.ORDER_CHANGED: reserve and release at a confirmation (now, see the module);
    release or close after the commit when the order's state asks for it (decided from the
    locked order: no query)."""
    if change == hooks.CHANGE_AMENDED:
        # a line that needs less (quantity lowered) gives the rest of its reservation back,
        # whatever the amendment did to the status (reopened approval, credit hold)
        return_reservations(by=by, order=order, reason="amended")
    if order.status != OrderStatus.CONFIRMED:
        return
    if change == hooks.CHANGE_AMENDED and c.fulfillment_settings().reserve_on_confirm:
        # still confirmed (nothing reopened approval or held it): a raised quantity or an
        # added line is reserved now, as its confirmation would have, as far as stock allows
        reserve_on_confirmation(by=by, order=order)
    release, close = _waiting(order.status, order.fulfillment_status, order.payment_status)
    if change == hooks.CHANGE_CONFIRMED:
        reserve = c.fulfillment_settings().reserve_on_confirm
        if reserve or release:
            # the lines as the confirming service read them under the order's lock
            # (prefetched by `order_confirm`/`order_submit`; one read otherwise)
            lines = list(order.lines.all())
            if reserve:
                reserve_on_confirmation(by=by, order=order, lines=lines)
            if release and release_at_confirmation(order, lines):
                release = False
    if release or close:
        transaction.on_commit(partial(after_order_change, order.pk), robust=True)


def after_order_change(order_id: int) -> None:
    """After a transaction that changed an order (a confirmation, a payment, a shipment...):
    release what became due and close what became done, each in its own transaction. Reads
    the committed state again (another callback of the same commit may have acted)."""
    state = Order.objects.filter(pk=order_id).values_list(
        "status", "fulfillment_status", "payment_status"
    )
    if not state:
        return
    release, close = _waiting(*state[0])
    steps = ([order_release_due] if release else []) + ([close_if_done] if close else [])
    for step in steps:
        try:
            step(order=order_id)
        except DomainError as exc:  # the change is committed; the daily run tries again
            log.warning("order %s: %s failed: %s", order_id, step.__name__, exc.code)
