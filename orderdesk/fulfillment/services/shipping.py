"""Shipments: released goods leave the warehouse, stock moves, documents are made.

One transaction: the order row is locked first (one shipment of an order at a time), then
its lines in id order, then the stock balances in product id order. The line limit is
ordered - cancelled - shipped (the orders progress service checks it again, and a database
CHECK backs it); the release limit is released - shipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.billing.services import documents_for_shipment
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.permissions import RELEASED
from orderdesk.orders.services._common import check_quantity
from orderdesk.orders.services.progress import order_lines_ship, unit_costs_at

from ..models import MoveKind, Reservation, Shipment, ShipmentLine, StockMove
from ..permissions import can_ship
from . import _common as c
from .closing import close_if_done


@atomic_with_retry
def shipment_create(
    *,
    by,
    order: Order | int,
    lines: list[tuple[Any, Any]],
    shipped_on: dt.date | None = None,
    comment: str = "",
) -> Shipment:
    """Ship released quantities of an order's lines: the shipped quantities, the stock
    (on hand down; reserved down by what the line held), the delivery note and invoice
    (billing's `documents_for_shipment`, by its policy), the order's fulfillment state and
    history — all or nothing. The order closes itself when it is done and paid.

    Refusals: `shipment_not_permitted` (403); `order_not_found` (404, an order the user may
    not see); `order_not_released` (not confirmed and released); `shipment_empty`,
    `line_unknown`, `line_repeated`, `quantity_not_positive`; `line_cancelled` (nothing left:
    cancelled); `shipment_exceeds_ordered` (beyond ordered - cancelled - shipped);
    `shipment_exceeds_released` (beyond released - shipped); `stock_insufficient` (the
    goods on hand are reserved for others).
    """
    if not can_ship(by):
        raise PermissionRefused(
            _("Only the warehouse records shipments."), code="shipment_not_permitted"
        )
    pk = c.visible_order_pk(by, order)
    order = c.lock_order_row(pk)
    if order.status != OrderStatus.CONFIRMED or order.fulfillment_status not in RELEASED:
        raise Conflict(
            _("Order %(n)s is not released to the warehouse.") % {"n": order.number},
            code="order_not_released",
        )
    if not lines:
        raise ValidationFailed(_("A shipment needs at least one line."), code="shipment_empty")
    by_pk = {
        li.pk: li
        for li in order.lines.select_for_update(of=("self",))
        .select_related("product")
        .order_by("pk")
    }
    released = c.released_by_line(order)
    wanted: list[tuple[OrderLine, Any]] = []
    seen = set()
    for i, (line, quantity) in enumerate(lines):
        lpk = line.pk if isinstance(line, OrderLine) else line
        current = by_pk.get(int(lpk)) if str(lpk).isdigit() else None
        if current is None:
            raise ValidationFailed(
                _("No line %(l)s on this order.") % {"l": lpk},
                code="line_unknown",
                fields={f"lines[{i}].line": str(lpk)},
            )
        if current.pk in seen:
            raise ValidationFailed(
                _("Line %(p)s is named twice.") % {"p": current.position},
                code="line_repeated",
                fields={f"lines[{i}].line": str(lpk)},
            )
        seen.add(current.pk)
        qty = check_quantity(quantity, f"lines[{i}].quantity")
        left = c.open_quantity(current)
        field = {f"lines[{i}].quantity": str(qty)}
        if left <= 0 and current.cancelled_quantity > 0:
            raise Conflict(
                _("Line %(p)s is cancelled; nothing of it ships.") % {"p": current.position},
                code="line_cancelled",
                fields=field,
            )
        if qty > left:
            raise ValidationFailed(
                _("Line %(p)s has only %(q)s left to ship.") % {"p": current.position, "q": left},
                code="shipment_exceeds_ordered",
                fields=field,
            )
        ready = c.left_to_ship(current, released)
        if qty > ready:
            raise ValidationFailed(
                _("Line %(p)s has only %(q)s released to ship.")
                % {"p": current.position, "q": ready},
                code="shipment_exceeds_released",
                fields=field,
            )
        wanted.append((current, qty))
    # stock: reserved for this line first, then what is free
    reservations = {
        r.line_id: r for r in Reservation.objects.select_for_update().filter(line_id__in=list(seen))
    }
    balances = c.lock_balances(order.warehouse_id, [li.product_id for li, _q in wanted])
    taken = {}
    for i, (line, qty) in enumerate(wanted):
        balance = balances[line.product_id]
        reservation = reservations.get(line.pk)
        own = min(qty, reservation.quantity) if reservation else c.ZERO
        free = balance.on_hand - balance.reserved
        if qty - own > free:
            raise Conflict(
                _("Line %(p)s: only %(f)s of %(sku)s is on hand and not reserved for others.")
                % {"p": line.position, "f": free + own, "sku": line.product.sku},
                code="stock_insufficient",
                fields={f"lines[{i}].quantity": str(qty)},
            )
        balance.on_hand -= qty
        balance.reserved -= own
        if reservation and own:
            reservation.quantity -= own
            reservation.save(update_fields=["quantity", "updated_at"])
        taken[line.pk] = own
    for balance in balances.values():
        balance.save(update_fields=["on_hand", "reserved"])
    shipped_on = shipped_on or c.today()
    number = f"{order.number}/{order.shipments.count() + 1}"
    shipment = Shipment.objects.create(
        order=order, number=number, shipped_on=shipped_on, comment=comment.strip(), created_by=by
    )
    costs = unit_costs_at([line for line, _q in wanted], shipped_on)
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                shipment=shipment,
                line=line,
                quantity=qty,
                from_reservation=taken[line.pk],
                unit_cost=costs[line.pk],
            )
            for line, qty in wanted
        ]
    )
    StockMove.objects.bulk_create(
        [
            StockMove(
                product_id=line.product_id,
                warehouse_id=order.warehouse_id,
                kind=MoveKind.SHIPMENT,
                quantity=-qty,
                on_hand_after=balances[line.product_id].on_hand,
                shipment=shipment,
                created_by=by,
            )
            for line, qty in wanted
        ]
    )
    shipped = order_lines_ship(
        by=by,
        order=order,
        lines=wanted,
        shipped_on=shipped_on,
        shipment_ref=number,
        unit_costs=costs,
    )
    docs = documents_for_shipment(
        by=by, order=order, lines=shipped, shipped_on=shipped_on, shipment_ref=number
    )
    shipment.delivery_note = docs.delivery_note
    shipment.invoice = docs.invoice
    shipment.save(update_fields=["delivery_note", "invoice"])
    c.record_order(
        order,
        by,
        [
            c.Entry(
                "fulfillment.shipment.confirmed",
                shipment,
                {},
                {
                    "shipment": number,
                    "date": shipped_on,
                    "lines": [
                        {"position": li.position, "quantity": q, "from_reservation": taken[li.pk]}
                        for li, q in wanted
                    ],
                    "delivery_note": docs.delivery_note.number if docs.delivery_note else None,
                    "invoice": docs.invoice.number if docs.invoice else None,
                },
            )
        ],
    )
    close_if_done(order=order.pk)
    return shipment
