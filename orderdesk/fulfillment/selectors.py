"""Reads for the warehouse pages and API, scoped to what the user may see.

Everything tied to an order goes through `orders.permissions.order_scope`: the warehouse
sees released orders only, so unreleased reservations, releases, shipments and
cancellations stay out of its lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from orderdesk.catalog.models import StockBalance
from orderdesk.core.money import ZERO
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.permissions import RELEASED, order_scope
from orderdesk.orders.services.line_cancel import open_quantity

from .models import LineCancellation, Release, ReleaseLine, Reservation, Shipment, StockMove
from .services._common import released_by_line


def scoped_orders(user) -> QuerySet[Order]:
    return Order.objects.filter(order_scope(user))


def _in_scope(user, prefix: str = "order__") -> Q:
    return Q(**{f"{prefix}in": scoped_orders(user).values("pk")})


def stock_list(*, warehouse=None, q: str = "") -> QuerySet[StockBalance]:
    rows = StockBalance.objects.select_related("product", "warehouse").filter(product__active=True)
    if warehouse:
        rows = rows.filter(warehouse_id=warehouse)
    if q:
        rows = rows.filter(Q(product__sku__icontains=q) | Q(product__name__icontains=q))
    return rows.order_by("warehouse__code", "product__sku")


def stock_moves(*, warehouse=None, product=None) -> QuerySet[StockMove]:
    rows = StockMove.objects.select_related("product", "warehouse", "created_by")
    if warehouse:
        rows = rows.filter(warehouse_id=warehouse)
    if product:
        rows = rows.filter(product_id=product)
    return rows


def reservations_for(user, *, order=None) -> QuerySet[Reservation]:
    rows = Reservation.objects.filter(_in_scope(user)).select_related(
        "order", "line", "product", "warehouse"
    )
    if order:
        rows = rows.filter(order_id=order)
    return rows.order_by("order_id", "line__position")


def releases_for(user, *, order=None) -> QuerySet[Release]:
    rows = (
        Release.objects.filter(_in_scope(user))
        .select_related("order", "released_by")
        .prefetch_related("lines__line")
    )
    if order:
        rows = rows.filter(order_id=order)
    return rows


def shipments_for(user, *, order=None) -> QuerySet[Shipment]:
    rows = (
        Shipment.objects.filter(_in_scope(user))
        .select_related("order", "order__customer", "delivery_note", "invoice", "created_by")
        .prefetch_related("lines__line__product")
    )
    if order:
        rows = rows.filter(order_id=order)
    return rows


def cancellations_for(user, *, order=None, reason=None) -> QuerySet[LineCancellation]:
    rows = LineCancellation.objects.filter(_in_scope(user)).select_related(
        "order", "line", "reason", "created_by"
    )
    if order:
        rows = rows.filter(order_id=order)
    if reason:
        rows = rows.filter(reason__code=reason)
    return rows


@dataclass
class LineState:
    line: OrderLine
    on_hand: Decimal
    available: Decimal
    reserved_here: Decimal
    backordered: Decimal
    released: Decimal
    to_ship: Decimal
    open: Decimal


def line_states(order: Order) -> list[LineState]:
    """Per line: the warehouse's stock, what this line holds, what is backordered, released
    and ready to ship (a handful of queries for the whole order)."""
    lines = list(order.lines.select_related("product").order_by("position"))
    balances = {
        b.product_id: b
        for b in StockBalance.objects.filter(
            warehouse_id=order.warehouse_id, product_id__in=[li.product_id for li in lines]
        )
    }
    held = dict(Reservation.objects.filter(order=order).values_list("line_id", "quantity"))
    released = released_by_line(order)
    states = []
    for line in lines:
        balance = balances.get(line.product_id)
        left = max(ZERO, open_quantity(line))
        mine = held.get(line.pk, ZERO)
        rel = released.get(line.pk, ZERO)
        states.append(
            LineState(
                line=line,
                on_hand=balance.on_hand if balance else ZERO,
                available=balance.available if balance else ZERO,
                reserved_here=mine,
                backordered=max(ZERO, left - mine),
                released=rel,
                to_ship=max(ZERO, min(rel - line.shipped_quantity, left)),
                open=left,
            )
        )
    return states


def pick_list(order: Order) -> list[LineState]:
    """What to gather for the order in its warehouse: each line released and not yet
    shipped (never beyond what is still open), in line order."""
    return [s for s in line_states(order) if s.to_ship > 0]


@dataclass
class QueueRow:
    order: Order
    date: dt.date
    to_ship: Decimal
    lines: list[LineState] = field(default_factory=list)


def warehouse_queue(user, *, warehouse=None) -> list[QueueRow]:
    """Released orders with something to ship, earliest released date first."""
    orders = (
        scoped_orders(user)
        .filter(status=OrderStatus.CONFIRMED, fulfillment_status__in=RELEASED)
        .select_related("customer", "warehouse")
    )
    if warehouse:
        orders = orders.filter(warehouse_id=warehouse)
    rows = []
    for order in orders:
        states = [s for s in line_states(order) if s.to_ship > 0]
        if not states:
            continue
        first = (
            ReleaseLine.objects.filter(line_id__in=[s.line.pk for s in states])
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
        rows.append(QueueRow(order, first, sum((s.to_ship for s in states), ZERO), states))
    rows.sort(key=lambda r: (r.date, r.order.number))
    return rows
