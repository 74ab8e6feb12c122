"""Stock: receipts, adjustments and reservations.

Serialization point: the `catalog.StockBalance` row of (product, warehouse), locked
FOR UPDATE by every change of `on_hand` or `reserved` (after the order row, when an order is
involved; several rows in ascending product id). The database CHECK keeps
0 <= reserved <= on_hand whatever happens.

A receipt serves backorders (`FulfillmentSettings.reserve_on_receipt`) while it holds the
balance row, and so do a positive adjustment and lines giving their reservations back
(`unreserve_locked`; never to the giving lines themselves). Each locks every order it
reserves for with SKIP LOCKED, so it never waits on an order row while holding a balance
(every other writer takes the order first, then the balance: no deadlock either way). An
order busy at that moment is passed over; whoever holds it finishes first, and the next
receipt or a reservation serves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import record, stream_of
from orderdesk.catalog.models import Product, StockBalance, Warehouse
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import DeliveryScheduleEntry, Order, OrderLine
from orderdesk.orders.services._common import check_quantity, number

from ..models import MoveKind, Reservation, StockMove
from ..permissions import can_keep_stock, can_reserve
from . import _common as c


def _resolve(model, value, code: str, field: str):
    if isinstance(value, model):
        return value
    obj = model.objects.filter(pk=int(value)).first() if str(value).isdigit() else None
    if obj is None:
        raise ValidationFailed(
            _("Unknown %(what)s “%(v)s”.") % {"what": model._meta.verbose_name, "v": value},
            code=code,
            fields={field: str(value)},
        )
    return obj


def _require_keeper(by) -> None:
    if not can_keep_stock(by):
        raise PermissionRefused(
            _("Only the warehouse or an administrator changes stock."), code="stock_not_permitted"
        )


def _move(
    *,
    by,
    balance: StockBalance,
    kind: str,
    quantity: Decimal,
    comment: str,
    data: dict[str, Any] | None = None,
) -> StockMove:
    before = balance.on_hand
    balance.on_hand = before + quantity
    balance.save(update_fields=["on_hand"])
    move = StockMove.objects.create(
        product_id=balance.product_id,
        warehouse_id=balance.warehouse_id,
        kind=kind,
        quantity=quantity,
        on_hand_after=balance.on_hand,
        comment=comment,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    record(
        action=f"fulfillment.stock.{kind}",
        obj=balance,
        by=by,
        stream=stream_of(balance),
        changes={"on_hand": {"from": before, "to": balance.on_hand}},
        data={"move": move.pk, "quantity": quantity, "comment": comment, **(data or {})},
    )
    return move


@atomic_with_retry
def stock_receive(
    *, by, product: Product | int, warehouse: Warehouse | int, quantity: Any, comment: str = ""
) -> StockMove:
    """Goods arrived: on hand goes up, and (when `FulfillmentSettings.reserve_on_receipt` is
    on) what is free goes to the backorders, the earliest due first (`backorders`): each
    served order gets a `fulfillment.stock.reserved` event naming the receipt, and the
    receipt's event lists them. Rules: the warehouse or an administrator
    (`stock_not_permitted`); a known product and warehouse (`product_unknown`,
    `warehouse_unknown`); a positive quantity, 3 decimals (`quantity_not_positive`)."""
    _require_keeper(by)
    product = _resolve(Product, product, "product_unknown", "product")
    warehouse = _resolve(Warehouse, warehouse, "warehouse_unknown", "warehouse")
    qty = check_quantity(quantity)
    comment = comment.strip()
    balance = c.lock_balances(warehouse.pk, [product.pk])[product.pk]
    return _move_serving(by, balance, MoveKind.RECEIPT, qty, comment)


def _move_serving(by, balance: StockBalance, kind: str, qty: Decimal, comment: str) -> StockMove:
    """Move on hand of the locked `balance` by `qty`; what a positive move makes free goes to
    the backorders first (`reserve_on_receipt`): the move's event lists them in
    `reserved_for`, each served order's event names the move (`receipt`, `adjustment`)."""
    grants = []
    if qty > 0 and c.fulfillment_settings().reserve_on_receipt:
        grants = _serve_backorders(
            balance.product_id, balance.warehouse_id, balance.on_hand + qty - balance.reserved
        )
    move = _move(
        by=by,
        balance=balance,
        kind=kind,
        quantity=qty,
        comment=comment,
        data={"reserved_for": _granted(grants)} if grants else None,
    )
    if grants:
        _apply_grants(by, balance, grants, {str(kind): move.pk})
    return move


@dataclass
class Backorder:
    """An open line of a confirmed order that holds less stock than it still needs."""

    line: OrderLine
    short: Decimal
    due: dt.date

    @property
    def priority(self) -> tuple:
        order = self.line.order
        confirmed = order.confirmed_at or timezone.now()
        return (self.due, confirmed, order.pk, self.line.position)


def backorders(
    product_id: int,
    warehouse_id: int,
    *,
    order_ids: list[int] | None = None,
    exclude_lines: Iterable[int] = (),
) -> list[Backorder]:
    """The backorders of a product in a warehouse, the earliest due first. A backorder is a
    line of a confirmed order that takes part in reservation (the order has reservation
    rows: it was reserved for, automatically or by hand) holding less than ordered less
    cancelled less shipped. Due: the line's first scheduled date, else its requested date, else the
    order's, else the day it was confirmed; ties by confirmation time, then order, then
    line."""
    lines = (
        OrderLine.objects.filter(
            product_id=product_id,
            order__warehouse_id=warehouse_id,
            order__status=OrderStatus.CONFIRMED,
            quantity__gt=F("cancelled_quantity") + F("shipped_quantity"),
        )
        .filter(Exists(Reservation.objects.filter(order_id=OuterRef("order_id"))))
        .select_related("order", "reservation")
    )
    if order_ids is not None:
        lines = lines.filter(order_id__in=order_ids)
    if exclude_lines:
        lines = lines.exclude(pk__in=list(exclude_lines))
    lines = list(lines)
    if not lines:
        return []
    first_dates = dict(
        DeliveryScheduleEntry.objects.filter(line__in=lines)
        .values("line_id")
        .annotate(first=Min("date"))
        .values_list("line_id", "first")
    )
    found = []
    for line in lines:
        held = getattr(line, "reservation", None)
        short = c.open_quantity(line) - (held.quantity if held else c.ZERO)
        if short <= 0:
            continue
        order = line.order
        due = (
            first_dates.get(line.pk)
            or line.requested_delivery_date
            or order.requested_delivery_date
            or (timezone.localdate(order.confirmed_at) if order.confirmed_at else order.order_date)
        )
        found.append(Backorder(line, short, due))
    return sorted(found, key=lambda b: b.priority)


def _lock_order_if_free(pk: int) -> bool:
    """Lock a confirmed order's row unless another transaction holds it (SKIP LOCKED: the
    caller holds a balance row and must never wait for an order)."""
    return (
        Order.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk=pk, status=OrderStatus.CONFIRMED)
        .values_list("pk", flat=True)
        .first()
        is not None
    )


def _serve_backorders(
    product_id: int, warehouse_id: int, free: Decimal, *, exclude_lines: Iterable[int] = ()
) -> list[tuple[Backorder, Decimal]]:
    """Share `free` (the balance row is locked by the caller) among the backorders (not the
    lines of `exclude_lines`), the earliest due first: each order is locked when its first
    line comes up and its lines are read again under the lock. Returns [(backorder, quantity
    granted)]."""
    grants: list[tuple[Backorder, Decimal]] = []
    if free <= 0:
        return grants
    fresh: dict[int, dict[int, Backorder]] = {}
    for candidate in backorders(product_id, warehouse_id, exclude_lines=exclude_lines):
        if free <= 0:
            break
        pk = candidate.line.order_id
        if pk not in fresh:
            fresh[pk] = (
                {
                    b.line.pk: b
                    for b in backorders(
                        product_id, warehouse_id, order_ids=[pk], exclude_lines=exclude_lines
                    )
                }
                if _lock_order_if_free(pk)
                else {}
            )
        current = fresh[pk].get(candidate.line.pk)
        if current is None:
            continue
        take = min(current.short, free)
        free -= take
        grants.append((current, take))
    return grants


def _apply_grants(
    by, balance: StockBalance, grants, source: dict[str, Any], *, save: bool = True
) -> None:
    """Hold the granted quantities (the balance, orders and lines are locked) and record a
    `fulfillment.stock.reserved` event in each served order's stream, with `source` (where
    the stock came from: `receipt` or `adjustment`, a stock move; `freed`, why another order
    gave it back). `save=False`: the caller writes the balance."""
    per_order: dict[int, list] = {}
    for b, take in grants:
        order = b.line.order
        reservation = getattr(b.line, "reservation", None)
        if reservation is None:  # a line the order gained after it was reserved for
            reservation = c.reservations_of(order, [b.line])[b.line.pk]
        reservation.quantity += take
        reservation.save(update_fields=["quantity", "updated_at"])
        balance.reserved += take
        per_order.setdefault(order.pk, [order, []])[1].append(
            {"position": b.line.position, "reserved": take, "backordered": b.short - take}
        )
    if save:
        balance.save(update_fields=["reserved"])
    for order, changes in per_order.values():
        c.record_order(
            order,
            by,
            [
                c.Entry(
                    "fulfillment.stock.reserved",
                    order,
                    {},
                    {"lines": changes, "automatic": True, **source},
                )
            ],
        )


def _granted(grants) -> list[dict[str, Any]]:
    return [
        {"order": b.line.order.number, "position": b.line.position, "quantity": q}
        for b, q in grants
    ]


@atomic_with_retry
def stock_adjust(
    *, by, product: Product | int, warehouse: Warehouse | int, quantity: Any, comment: str = ""
) -> StockMove:
    """Correct on hand by a signed quantity (a count found more or less). Rules: as for a
    receipt, plus a non-zero quantity (`quantity_zero`), a comment
    (`adjustment_comment_required`), and never below what is reserved
    (`stock_below_reserved`): return reservations first."""
    _require_keeper(by)
    product = _resolve(Product, product, "product_unknown", "product")
    warehouse = _resolve(Warehouse, warehouse, "warehouse_unknown", "warehouse")
    qty = number(quantity, field_name="quantity", max_digits=18, places=3)
    if qty == 0:
        raise ValidationFailed(
            _("An adjustment changes the quantity."), code="quantity_zero", fields={"quantity": "0"}
        )
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            _("Say why the stock is adjusted."),
            code="adjustment_comment_required",
            fields={"comment": None},
        )
    balance = c.lock_balances(warehouse.pk, [product.pk])[product.pk]
    if balance.on_hand + qty < balance.reserved:
        raise Conflict(
            _("On hand would be %(n)s, below the %(r)s reserved for orders.")
            % {"n": balance.on_hand + qty, "r": balance.reserved},
            code="stock_below_reserved",
            fields={"quantity": str(qty)},
        )
    return _move_serving(by, balance, MoveKind.ADJUSTMENT, qty, comment)


def reserve_locked(order: Order, by, *, lines: list[OrderLine] | None = None) -> list[dict]:
    """Reserve what each open line lacks, as far as stock is available (the order row is
    locked by the caller). `lines`: the order's lines as read under that lock (a
    confirmation has them already); otherwise they are read FOR UPDATE. Returns the changes
    [{position, reserved, backordered}] in line id order.

    Statements, whatever the number of lines: the reservation rows, the balance rows FOR
    UPDATE (one statement, ascending product id), one INSERT of the missing reservation rows
    with their final quantities, one UPDATE of the balances (and one of the existing
    reservation rows that grew, when there are any)."""
    if lines is None:
        lines = list(order.lines.select_for_update().order_by("pk"))
    else:
        lines = sorted(lines, key=lambda li: li.pk)
    have = (
        {r.line_id: r for r in Reservation.objects.filter(order=order).order_by()}
        if getattr(order, "has_reservation", True)  # a lock fact: none yet, nothing to read
        else {}
    )
    wants = {}
    for line in lines:
        held = have[line.pk].quantity if line.pk in have else c.ZERO
        want = c.open_quantity(line) - held
        if want > 0:
            wants[line.pk] = want
    balances = (
        c.lock_balances(order.warehouse_id, [li.product_id for li in lines if li.pk in wants])
        if wants
        else {}
    )
    changes, grown, new_rows, touched = [], [], [], {}
    for line in lines:
        want = wants.get(line.pk)
        grant = c.ZERO
        if want:
            balance = balances[line.product_id]
            grant = max(c.ZERO, min(want, balance.on_hand - balance.reserved))
            if grant > 0:
                balance.reserved += grant
                touched[balance.pk] = balance
            changes.append(
                {"position": line.position, "reserved": grant, "backordered": want - grant}
            )
        reservation = have.get(line.pk)
        if reservation is None:  # every line gets its row (it takes part in reservation)
            new_rows.append(
                Reservation(
                    line=line,
                    order=order,
                    product_id=line.product_id,
                    warehouse_id=order.warehouse_id,
                    quantity=grant,
                )
            )
        elif grant > 0:
            reservation.quantity += grant
            grown.append(reservation)
    if new_rows:
        Reservation.objects.bulk_create(new_rows)
        order.has_reservation = True
    if grown:
        now = timezone.now()
        for reservation in grown:
            reservation.updated_at = now
        Reservation.objects.bulk_update(grown, ["quantity", "updated_at"])
    c.save_balances(touched.values())
    return changes


def _record_reserved(order: Order, by, changes: list[dict], *, automatic: bool) -> None:
    if any(ch["reserved"] > 0 for ch in changes):
        c.record_order(
            order,
            by,
            [
                c.Entry(
                    "fulfillment.stock.reserved",
                    order,
                    {},
                    {"lines": changes, "automatic": automatic},
                )
            ],
        )


def reserve_on_confirmation(
    *, by, order: Order, lines: list[OrderLine] | None = None
) -> list[dict]:
    """The automatic reservation when an order is confirmed (`FulfillmentSettings.
    reserve_on_confirm`) or amended and still confirmed: the service holds the order row
    and, at a confirmation, has read its `lines` under that lock, so neither is read again
    (None: the lines are read FOR UPDATE); acts for the company (no right checked).
    Records `fulfillment.stock.reserved` (`automatic`) when anything was reserved. No
    savepoint: a reservation that fails undoes the confirmation, as before."""
    changes = reserve_locked(order, by, lines=lines)
    _record_reserved(order, by, changes, automatic=True)
    return changes


@atomic_with_retry
def order_reserve(*, by, order: Order | int, automatic: bool = False) -> list[dict]:
    """Reserve stock for a confirmed order's open lines in its warehouse: never more than
    available (on hand less reserved); what cannot be reserved stays backordered. Rules:
    the user may reserve for the order (`reservation_not_permitted`; automatic reservation
    on confirmation acts for the company); the order is confirmed (`order_not_confirmed`).
    Records `fulfillment.stock.reserved` in the order's stream when anything was reserved."""
    order = c.lock_order_row(order)
    if not automatic and not can_reserve(by, order):
        raise PermissionRefused(
            _("You may not reserve stock for order %(n)s.") % {"n": order.number},
            code="reservation_not_permitted",
        )
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict(
            _("Order %(n)s is not confirmed.") % {"n": order.number}, code="order_not_confirmed"
        )
    changes = reserve_locked(order, by)
    _record_reserved(order, by, changes, automatic=automatic)
    return changes


def unreserve_locked(
    order: Order,
    lines,
    *,
    keep_open: bool = True,
    by=None,
    reason: str = "",
    passed: list | None = None,
) -> dict[int, Decimal]:
    """Give back what `lines` hold beyond their open quantity (all of it when
    `keep_open=False`); the order row is locked by the caller. Returns {line id: returned}.
    The reservation rows and the balances are each written in one statement.

    What goes back is offered at once to the product's backorders, never back to `lines`
    (as a receipt's stock is, `FulfillmentSettings.reserve_on_receipt`; `_serve_freed`,
    `reason` telling them why it was freed); `passed` collects how much of each returning
    line went on ({position, quantity})."""
    reservations = {
        r.line_id: r
        for r in c.Reservation.objects.select_for_update().filter(
            line_id__in=[li.pk for li in lines], quantity__gt=0
        )
    }
    if not reservations:
        return {}
    balances = c.lock_balances(
        order.warehouse_id, [li.product_id for li in lines if li.pk in reservations]
    )
    returned, shrunk, touched = {}, [], {}
    now = timezone.now()
    for line in lines:
        reservation = reservations.get(line.pk)
        if reservation is None:
            continue
        keep = max(c.ZERO, c.open_quantity(line)) if keep_open else c.ZERO
        back = reservation.quantity - min(reservation.quantity, keep)
        if back > 0:
            reservation.quantity -= back
            reservation.updated_at = now
            shrunk.append(reservation)
            balance = balances[line.product_id]
            balance.reserved -= back
            touched[balance.pk] = balance
            returned[line.pk] = back
    if shrunk:
        c.Reservation.objects.bulk_update(shrunk, ["quantity", "updated_at"])
    if touched:
        given = _serve_freed(by, order, list(touched.values()), reason, set(returned))
        if passed is not None:  # what each returning line passed on, product by product
            for line in lines:
                take = min(returned.get(line.pk, c.ZERO), given.get(line.product_id, c.ZERO))
                if take > 0:
                    given[line.product_id] -= take
                    passed.append({"position": line.position, "quantity": take})
    c.save_balances(touched.values())
    return returned


def _serve_freed(
    by, order: Order, balances: list[StockBalance], reason: str, giving: set[int]
) -> dict[int, Decimal]:
    """Stock the lines `giving` of `order` just gave back (their `balances`, locked, not yet
    written) goes to the backorders, the earliest due first, as a receipt's does — never to
    the giving lines themselves; another line of the same order is a backorder like any
    other. Served orders are locked with SKIP LOCKED (the balances are held); each gets a
    `fulfillment.stock.reserved` event with `freed` (why: `reason`), not naming the order
    that freed it (its manager may not see that one). First one statement asks which of
    the products have a backorder at all (mostly none). Returns {product id: granted}."""
    if not c.fulfillment_settings().reserve_on_receipt:
        return {}
    wanted = _backordered_products(
        order.warehouse_id, [b.product_id for b in balances], exclude_lines=giving
    )
    given: dict[int, Decimal] = {}
    for balance in balances:
        if balance.product_id not in wanted:
            continue
        grants = _serve_backorders(
            balance.product_id,
            order.warehouse_id,
            balance.on_hand - balance.reserved,
            exclude_lines=giving,
        )
        if grants:
            _apply_grants(by, balance, grants, {"freed": reason or "returned"}, save=False)
            given[balance.product_id] = sum((q for _b, q in grants), c.ZERO)
    return given


def _backordered_products(
    warehouse_id: int, product_ids: list[int], *, exclude_lines: Iterable[int]
) -> set[int]:
    """Which of `product_ids` a line of a confirmed order in the warehouse (not one of
    `exclude_lines`) lacks: a line of an order that takes part in reservation, holding less
    than it still needs."""
    open_quantity = F("quantity") - F("cancelled_quantity") - F("shipped_quantity")
    return set(
        OrderLine.objects.filter(
            product_id__in=product_ids,
            order__warehouse_id=warehouse_id,
            order__status=OrderStatus.CONFIRMED,
            quantity__gt=F("cancelled_quantity") + F("shipped_quantity"),
        )
        .exclude(pk__in=list(exclude_lines))
        .filter(Exists(Reservation.objects.filter(order_id=OuterRef("order_id"))))
        .filter(Q(reservation__isnull=True) | Q(reservation__quantity__lt=open_quantity))
        .values_list("product_id", flat=True)
        .distinct()
    )


def return_all_reservations(*, by=None, order: Order) -> dict:
    """A cancelled or closed order gives all its reserved stock back (`order` is the row its
    service locked); recorded as `fulfillment.stock.unreserved` with the order's status."""
    return return_reservations(by=by, order=order, reason=order.status, keep_open=False)


def return_reservations(
    *, by=None, order: Order, reason: str, lines=None, keep_open: bool = True
) -> dict[int, Decimal]:
    """Give back what `lines` (all the order's by default) hold beyond what they still need
    (everything when `keep_open=False`); the order row is locked by the caller. Recorded as
    `fulfillment.stock.unreserved` with `reason` when anything went back."""
    lines = sorted(order.lines.all() if lines is None else lines, key=lambda li: li.pk)
    passed: list[dict[str, Any]] = []
    returned = unreserve_locked(
        order, lines, keep_open=keep_open, by=by, reason=reason, passed=passed
    )
    if returned:
        by_pk = {li.pk: li for li in lines}
        c.record_order(
            order,
            by,
            [
                c.Entry(
                    "fulfillment.stock.unreserved",
                    order,
                    {},
                    {
                        "lines": [
                            {"position": by_pk[pk].position, "quantity": q}
                            for pk, q in returned.items()
                        ],
                        "reason": reason,
                        **({"passed_on": passed} if passed else {}),
                    },
                )
            ],
        )
    return returned
