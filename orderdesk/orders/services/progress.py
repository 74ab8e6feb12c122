"""Progress that runs beside the order's status: payment and fulfillment state, shipped lines.

Apps above orders (billing now, fulfillment later) call these inside their own transaction.
Each locks the order row first (the one writer per order rule and the history chain), checks
what the order allows, and records every change in the order's timeline. The caller has
already decided the user may act (these take `by` for the history only).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, NotFound, ValidationFailed

from .. import hooks
from ..choices import FulfillmentStatus, OrderStatus, PaymentStatus
from ..models import Order, OrderLine
from . import _common as c


def lock_order_row(order: Order | int) -> Order:
    """Lock the order row for this transaction (no permission check: the caller did it)."""
    pk = order.pk if isinstance(order, Order) else order
    try:
        return (
            Order.objects.select_for_update(of=("self",))
            .select_related("customer", "payment_terms")
            .get(pk=pk)
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such order."), code="order_not_found") from None


@atomic_with_retry
def order_payment_status_set(
    *, by, order: Order | int, status: str, data: dict[str, Any] | None = None
) -> Order:
    """Store the payment state the ledger says (`payment_status_invalid` for an unknown
    value); a change is recorded as `orders.order.payment_status_changed`."""
    if status not in PaymentStatus.values:
        raise ValidationFailed(
            _("Unknown payment state “%(s)s”.") % {"s": status}, code="payment_status_invalid"
        )
    order = lock_order_row(order)
    if order.payment_status != status:
        before = order.payment_status
        order.payment_status = status
        order.save(update_fields=["payment_status", "updated_at"])
        record_many(
            stream=stream_of(order),
            by=by,
            entries=[
                Entry(
                    "orders.order.payment_status_changed",
                    order,
                    {"payment_status": {"from": before, "to": status}},
                    data or {},
                )
            ],
        )
        hooks.emit(hooks.ORDER_CHANGED, by=by, order=order, change=hooks.CHANGE_PAYMENT)
    return order


@atomic_with_retry
def order_fulfillment_status_set(
    *, by, order: Order | int, status: str, data: dict[str, Any] | None = None
) -> Order:
    """Store the fulfillment state (released, shipped...) of a confirmed order
    (`order_not_confirmed`, `fulfillment_status_invalid`)."""
    if status not in FulfillmentStatus.values:
        raise ValidationFailed(
            _("Unknown fulfillment state “%(s)s”.") % {"s": status},
            code="fulfillment_status_invalid",
        )
    order = lock_order_row(order)
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict(
            _("Order %(n)s is not confirmed.") % {"n": order.number}, code="order_not_confirmed"
        )
    if order.fulfillment_status != status:
        before = order.fulfillment_status
        order.fulfillment_status = status
        order.save(update_fields=["fulfillment_status", "updated_at"])
        record_many(
            stream=stream_of(order),
            by=by,
            entries=[
                Entry(
                    "orders.order.fulfillment_status_changed",
                    order,
                    {"fulfillment_status": {"from": before, "to": status}},
                    data or {},
                )
            ],
        )
        hooks.emit(hooks.ORDER_CHANGED, by=by, order=order, change=hooks.CHANGE_FULFILLMENT)
    return order


def shipping_status(lines) -> str | None:
    """The fulfillment state the lines' shipments make: shipped when something shipped and
    every line's shipped quantity reaches its quantity less cancelled, partially shipped when
    something shipped and some is left, None when nothing shipped (the state is the
    warehouse's: not released, released...)."""
    lines = list(lines)
    if not any(li.shipped_quantity > 0 for li in lines):
        return None
    complete = all(li.shipped_quantity >= li.quantity - li.cancelled_quantity for li in lines)
    return FulfillmentStatus.SHIPPED if complete else FulfillmentStatus.PARTIALLY_SHIPPED


def unit_costs_at(lines, on: dt.date) -> dict[int, Decimal]:
    """The cost per unit of each line's product on `on`, in base currency: {line pk: cost}
    (`cost_in_base`, each currency's rate read once). When the cost currency has no rate on
    or before the date, the cost the line was entered with (already in base currency) stands
    in. Reads each line's `product` (select it with the lines)."""
    rates: dict[str, Decimal] = {}
    out = {}
    for line in lines:
        try:
            out[line.pk] = c.cost_in_base(line.product, on, "line", rates)
        except ValidationFailed:
            out[line.pk] = line.cost_price
    return out


@atomic_with_retry
def order_lines_ship(
    *,
    by,
    order: Order | int,
    lines: list[tuple[OrderLine | int, Any]],
    shipped_on: dt.date,
    shipment_ref: str = "",
    unit_costs: dict[int, Decimal] | None = None,
) -> list[tuple[OrderLine, Decimal]]:
    """Record that quantities of a confirmed order's lines left the warehouse.

    Rules: the order is confirmed (`order_not_confirmed`); each line is the order's
    (`line_unknown`), the quantity positive (`quantity_not_positive`) and within what is
    ordered less cancelled and already shipped (`shipment_exceeds_ordered`). Sets
    `fulfillment_status` to partially shipped or shipped, and adds quantity x the cost per
    unit on the shipment date to each line's `shipped_cost` (`unit_costs` by line pk when
    the caller has them — the warehouse stores them on its shipment lines — else
    `unit_costs_at`). Returns [(line, quantity)].
    """
    order = lock_order_row(order)
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict(
            _("Order %(n)s is not confirmed; nothing can ship.") % {"n": order.number},
            code="order_not_confirmed",
        )
    if not lines:
        raise ValidationFailed(_("A shipment needs at least one line."), code="shipment_empty")
    by_pk = {
        line.pk: line
        for line in order.lines.select_for_update(of=("self",))
        .select_related("product")
        .order_by("pk")
    }
    entries, shipped = [], []
    for i, (line, quantity) in enumerate(lines):
        pk = line.pk if isinstance(line, OrderLine) else line
        current = by_pk.get(int(pk)) if str(pk).isdigit() else None
        if current is None:
            raise ValidationFailed(
                _("No line %(l)s on this order.") % {"l": pk},
                code="line_unknown",
                fields={f"lines[{i}].line": str(pk)},
            )
        qty = c.check_quantity(quantity, f"lines[{i}].quantity")
        left = current.quantity - current.cancelled_quantity - current.shipped_quantity
        if qty > left:
            raise ValidationFailed(
                _("Line %(p)s has only %(q)s left to ship.") % {"p": current.position, "q": left},
                code="shipment_exceeds_ordered",
                fields={f"lines[{i}].quantity": str(qty)},
            )
        before = current.shipped_quantity
        current.shipped_quantity = before + qty
        entries.append(
            Entry(
                "orders.line.shipped",
                current,
                {"shipped_quantity": {"from": before, "to": current.shipped_quantity}},
                {"shipment": shipment_ref, "date": shipped_on, "quantity": qty},
            )
        )
        shipped.append((current, qty))
    if unit_costs is None:
        unit_costs = unit_costs_at([line for line, _q in shipped], shipped_on)
    for (current, qty), entry in zip(shipped, entries, strict=True):
        cost = unit_costs[current.pk]
        current.shipped_cost += qty * cost
        entry.data["unit_cost"] = cost
    OrderLine.objects.bulk_update(
        [line for line, _q in shipped], ["shipped_quantity", "shipped_cost"]
    )
    status = shipping_status(by_pk.values())
    if order.fulfillment_status != status:
        entries.append(
            Entry(
                "orders.order.fulfillment_status_changed",
                order,
                {"fulfillment_status": {"from": order.fulfillment_status, "to": status}},
                {"shipment": shipment_ref},
            )
        )
        order.fulfillment_status = status
        order.save(update_fields=["fulfillment_status", "updated_at"])
    record_many(stream=stream_of(order), by=by, entries=entries)
    hooks.emit(hooks.ORDER_CHANGED, by=by, order=order, change=hooks.CHANGE_FULFILLMENT)
    return shipped
