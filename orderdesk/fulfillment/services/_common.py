"""What the fulfillment services share: the settings, locking and writing balances, line
arithmetic, history."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connections, router
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.catalog.models import StockBalance
from orderdesk.core import cache
from orderdesk.core.errors import NotFound
from orderdesk.core.money import ZERO
from orderdesk.core.prepared import Prepared
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.permissions import order_scope
from orderdesk.orders.services.line_cancel import open_quantity
from orderdesk.orders.services.progress import lock_order_row

from ..models import FulfillmentSettings, ReleaseLine, Reservation

__all__ = [
    "ZERO",
    "Entry",
    "fulfillment_settings",
    "lock_balances",
    "lock_order_row",
    "open_quantity",
    "record_order",
    "released_by_line",
    "reservations_of",
    "save_balances",
    "today",
    "visible_order_pk",
]

# the warehouse's settings are reference data: read through the process cache (core.cache),
# checked against the reference token the order services read with the locked order
cache.track(FulfillmentSettings)


def fulfillment_settings() -> FulfillmentSettings:
    """`FulfillmentSettings` (defaults when no row was saved). Inside a `core.cache.scope`
    (confirming, submitting) from the process cache at no statement; elsewhere read. The
    value is shared between threads: read it, never change it."""
    return cache.cached("fulfillment.settings", FulfillmentSettings.load)


def today():
    return timezone.localdate()


def visible_order_pk(user, order) -> int:
    """The order's id if `user` may see it; otherwise `order_not_found` (404), whether it
    exists or not."""
    pk = order.pk if isinstance(order, Order) else order
    if not str(pk).isdigit() or not Order.objects.filter(order_scope(user), pk=int(pk)).exists():
        raise NotFound(_("No such order."), code="order_not_found")
    return int(pk)


# compiled once per connection (core.prepared)
_LOCKED_BALANCES = Prepared(
    lambda warehouse_id, ids: (
        StockBalance.objects.select_for_update()
        .filter(warehouse_id=warehouse_id, product_id__in=ids)
        .order_by("product_id")
    ),
    arity=2,
)


def lock_balances(warehouse_id: int, product_ids: Iterable[int]) -> dict[int, StockBalance]:
    """The (product, warehouse) balance rows FOR UPDATE, in ascending product id (every
    writer locks them in this order, after the order row: no deadlock), in one statement.
    The rows exist from set-up; a missing one (a product set up before the warehouse) is
    made, and the rows are locked again in the same order."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}

    def locked() -> dict[int, StockBalance]:
        return {b.product_id: b for b in _LOCKED_BALANCES.rows(warehouse_id, ids)}

    balances = locked()
    if len(balances) < len(ids):
        for pid in ids:
            if pid not in balances:
                StockBalance.objects.get_or_create(product_id=pid, warehouse_id=warehouse_id)
        balances = locked()
    return balances


def save_balances(balances: Iterable[StockBalance], field: str = "reserved") -> None:
    """Write `field` of the locked `balances` in one statement, `UPDATE ... FROM (VALUES
    ...)` (PostgreSQL; SQLite 3.33+, where the values' columns are column1, column2), else
    Django's `bulk_update` (one `CASE`), whose expressions cost milliseconds of Python."""
    rows = sorted(balances, key=lambda b: b.pk)
    if not rows:
        return
    alias = router.db_for_write(StockBalance)
    connection = connections[alias]
    qn = connection.ops.quote_name
    column = qn(StockBalance._meta.get_field(field).column)
    table, pk = qn(StockBalance._meta.db_table), qn(StockBalance._meta.pk.column)
    params: list = []
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::numeric)"] * len(rows))
        sql = (
            f"UPDATE {table} AS b SET {column} = v.value "
            f"FROM (VALUES {values}) AS v(id, value) WHERE b.{pk} = v.id"
        )
    elif connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33):
        values = ", ".join(["(%s, %s)"] * len(rows))
        sql = (
            f"UPDATE {table} AS b SET {column} = v.column2 "
            f"FROM (VALUES {values}) AS v WHERE b.{pk} = v.column1"
        )
    else:
        StockBalance.objects.using(alias).bulk_update(rows, [field])
        return
    value_field = StockBalance._meta.get_field(field)
    for b in rows:
        params += [b.pk, value_field.get_db_prep_save(getattr(b, field), connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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
            order.has_reservation = True
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
