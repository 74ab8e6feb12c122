"""What the fulfillment services share: locking balances, line arithmetic, history."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.catalog.models import StockBalance
from orderdesk.core.errors import NotFound
from orderdesk.core.money import ZERO
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.permissions import order_scope
from orderdesk.orders.services.line_cancel import open_quantity
from orderdesk.orders.services.progress import lock_order_row

from ..models import ReleaseLine, Reservation

__all__ = [
    "ZERO",
    "Entry",
    "lock_balances",
    "lock_order_row",
    "open_quantity",
    "record_order",
    "released_by_line",
    "reservations_of",
    "today",
    "visible_order_pk",
]


def today():
    return timezone.localdate()


def visible_order_pk(user, order) -> int:
    """The order's id if `user` may see it; otherwise `order_not_found` (404), whether it
    exists or not."""
    pk = order.pk if isinstance(order, Order) else order
    if not str(pk).isdigit() or not Order.objects.filter(order_scope(user), pk=int(pk)).exists():
        raise NotFound(_("No such order."), code="order_not_found")
    return int(pk)


def lock_balances(warehouse_id: int, product_ids: Iterable[int]) -> dict[int, StockBalance]:
    """The (product, warehouse) balance rows FOR UPDATE, in ascending product id (every
    writer locks them in this order, after the order row: no deadlock). The rows exist from
    set-up; a missing one is made first (a product set up before the warehouse)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    have = set(
        StockBalance.objects.filter(warehouse_id=warehouse_id, product_id__in=ids).values_list(
            "product_id", flat=True
        )
    )
    for pid in ids:
        if pid not in have:
            StockBalance.objects.get_or_create(product_id=pid, warehouse_id=warehouse_id)
    rows = (
        StockBalance.objects.select_for_update()
        .filter(warehouse_id=warehouse_id, product_id__in=ids)
        .order_by("product_id")
    )
    return {b.product_id: b for b in rows}


def released_by_line(order: Order | int) -> dict[int, Decimal]:
    pk = order.pk if isinstance(order, Order) else order
    rows = (
        ReleaseLine.objects.filter(release__order_id=pk)
        .values("line_id")
        .annotate(total=Sum("quantity"))
    )
    return {r["line_id"]: r["total"] or ZERO for r in rows}


def reservations_of(order: Order, lines: list[OrderLine]) -> dict[int, Reservation]:
    """Each line's reservation row (made with zero where missing)."""
    have = {r.line_id: r for r in Reservation.objects.filter(order=order)}
    for line in lines:
        if line.pk not in have:
            have[line.pk] = Reservation.objects.create(
                line=line,
                order=order,
                product_id=line.product_id,
                warehouse_id=order.warehouse_id,
                quantity=ZERO,
            )
    return have


def record_order(order: Order, by, entries: list[Entry]) -> None:
    """History in the order's stream (the caller holds the order row lock)."""
    record_many(stream=stream_of(order), by=by, entries=entries)


def left_to_ship(line: OrderLine, released: dict[int, Decimal]) -> Decimal:
    """Released and not shipped, never beyond what is still open."""
    return max(ZERO, min(released.get(line.pk, ZERO) - line.shipped_quantity, open_quantity(line)))
