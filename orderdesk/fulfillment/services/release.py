"""The release gate: when an order's due quantities go to the warehouse.

An order (or the part of it due) is released when it is confirmed (approval is implied by
the state), nothing blocks it (`hooks.RELEASE_BLOCKERS`: credit control answers there), the
prepayment its terms ask for has been received, and the date is reached: each dated
delivery of a line's schedule on its own date; a line without a schedule (or the part its
schedule leaves out) on the line's or the order's requested date, or at once without one.

Each release is a `Release` with its lines and a `fulfillment.order.released` event in the
order's timeline; the first sets `fulfillment_status` to released, which is what opens the
order to the warehouse (`orders.permissions.order_scope`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from orderdesk.billing.services.state import needs_prepayment
from orderdesk.core.db import atomic_with_retry, savepoint
from orderdesk.core.errors import Conflict, DomainError, PermissionRefused
from orderdesk.core.prepared import Prepared
from orderdesk.customers.choices import PREPAYMENT_TRIGGERS
from orderdesk.orders import hooks
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus, PaymentStatus
from orderdesk.orders.models import DeliveryScheduleEntry, Order, OrderLine
from orderdesk.receivables.models import ItemKind, OpenItem, Side

from ..models import Release, ReleaseLine
from ..permissions import can_release
from . import _common as c

log = logging.getLogger("orderdesk.fulfillment")
CREDIT_HOLD = "credit_hold"
PREPAYMENT_NOT_RECEIVED = "prepayment_not_received"


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str


def prepayment_received(order: Order) -> bool:
    """The prepayment the order's terms ask for is paid: every prepayment instalment the
    ledger holds for the order is settled, and there is at least one (or the order is paid)."""
    if not needs_prepayment(order):
        return True
    if order.payment_status == PaymentStatus.PAID:
        return True
    items = list(
        OpenItem.objects.filter(
            order_id=order.pk,
            side=Side.DEBIT,
            kind=ItemKind.INVOICE,
            trigger__in=PREPAYMENT_TRIGGERS,
        ).values_list("open_amount", flat=True)
    )
    return bool(items) and all(amount <= 0 for amount in items)


def release_blockers(order: Order) -> list[Blocker]:
    """Why the order may not go to the warehouse now (empty: it may)."""
    if order.status == CREDIT_HOLD:
        return [Blocker("order_on_credit_hold", _("The order is on credit hold."))]
    if order.status != OrderStatus.CONFIRMED:
        return [
            Blocker(
                "order_not_confirmed",
                _("Order %(n)s is not confirmed.") % {"n": order.number},
            )
        ]
    blockers = [
        Blocker("release_blocked", str(reason))
        for reason in hooks.ask(hooks.RELEASE_BLOCKERS, order=order)
    ]
    if not prepayment_received(order):
        blockers.append(
            Blocker(PREPAYMENT_NOT_RECEIVED, _("The prepayment has not been received."))
        )
    return blockers


@dataclass
class Portion:
    line: OrderLine
    entry: DeliveryScheduleEntry | None
    date: dt.date | None  # None: due at once
    quantity: Decimal  # not yet released


# compiled once per connection (core.prepared), for the keys of the lines
_SCHEDULES = Prepared(
    lambda keys: DeliveryScheduleEntry.objects.filter(line__in=keys).order_by("date", "pk")
)
_RELEASED = Prepared(
    lambda keys: (
        ReleaseLine.objects.filter(line__in=keys)
        .values("line_id", "schedule_entry_id")
        .annotate(total=Sum("quantity"))
        .order_by()
        .values_list("line_id", "schedule_entry_id", "total")
    )
)


def due_portions(order: Order, lines: list[OrderLine], *, up_to: dt.date | None) -> list[Portion]:
    """The dated parts of `lines` not yet released and due by `up_to` (None: all of them),
    each capped so that a line never has more released than ordered less cancelled."""
    entries: dict[int, list[DeliveryScheduleEntry]] = {}
    keys = [line.pk for line in lines]
    # the lock of a confirmation read whether each line has a schedule and whether the order
    # has releases (entry.moving_shape, hooks.lock_fact): what is known absent is not read
    if any(getattr(line, "has_schedule", True) for line in lines):
        for entry in _SCHEDULES.rows(keys):
            entries.setdefault(entry.line_id, []).append(entry)
    # what is released already, per (line, schedule entry), in one statement: per entry,
    # per line outside its schedule, and per line in all
    by_entry: dict[int, Decimal] = {}
    unscheduled: dict[int, Decimal] = {}
    released: dict[int, Decimal] = {}
    known = getattr(order, "has_release", True)
    for line_id, entry_id, total in _RELEASED.rows(keys) if known else ():
        total = total or c.ZERO
        released[line_id] = released.get(line_id, c.ZERO) + total
        if entry_id is None:
            unscheduled[line_id] = unscheduled.get(line_id, c.ZERO) + total
        else:
            by_entry[entry_id] = by_entry.get(entry_id, c.ZERO) + total
    portions = []
    for line in lines:
        room = line.quantity - line.cancelled_quantity - released.get(line.pk, c.ZERO)
        parts: list[tuple[DeliveryScheduleEntry | None, dt.date | None, Decimal]] = []
        scheduled = c.ZERO
        for entry in entries.get(line.pk, []):
            scheduled += entry.quantity
            parts.append((entry, entry.date, entry.quantity - by_entry.get(entry.pk, c.ZERO)))
        rest = line.quantity - scheduled - unscheduled.get(line.pk, c.ZERO)
        if rest > 0:
            date = line.requested_delivery_date or order.requested_delivery_date
            parts.append((None, date, rest))
        parts.sort(key=lambda p: p[1] or dt.date.min)
        for entry, date, qty in parts:
            if qty <= 0 or room <= 0:
                continue
            if up_to is not None and date is not None and date > up_to:
                continue
            take = min(qty, room)
            room -= take
            portions.append(Portion(line, entry, date, take))
    return portions


def _release_locked(
    order: Order,
    *,
    by,
    up_to: dt.date | None,
    automatic: bool,
    lines: list[OrderLine] | None = None,
) -> Release | None:
    """Release what is due by `up_to` (the order row is locked by the caller). `lines`: the
    order's lines as read under that lock (every writer of a line takes the order row
    first); otherwise they are read FOR UPDATE."""
    if lines is None:
        lines = list(order.lines.select_for_update().order_by("pk"))
    else:
        lines = sorted(lines, key=lambda li: li.pk)
    portions = due_portions(order, lines, up_to=up_to)
    if not portions:
        return None
    on = c.today()
    release = Release.objects.create(
        order=order,
        due_on=up_to or on,
        automatic=automatic,
        released_by=None if automatic or not getattr(by, "is_authenticated", False) else by,
    )
    order.has_release = True
    ReleaseLine.objects.bulk_create(
        [
            ReleaseLine(
                release=release,
                line=p.line,
                schedule_entry=p.entry,
                date=p.date or on,
                quantity=p.quantity,
            )
            for p in portions
        ]
    )
    entries = [
        c.Entry(
            "fulfillment.order.released",
            order,
            {},
            {
                "release": release.pk,
                "automatic": automatic,
                "up_to": up_to,
                "lines": [
                    {"position": p.line.position, "date": p.date or on, "quantity": p.quantity}
                    for p in portions
                ],
            },
        )
    ]
    if order.fulfillment_status == FulfillmentStatus.NOT_RELEASED:
        entries.append(
            c.Entry(
                "orders.order.fulfillment_status_changed",
                order,
                {
                    "fulfillment_status": {
                        "from": order.fulfillment_status,
                        "to": FulfillmentStatus.RELEASED,
                    }
                },
                {"release": release.pk},
            )
        )
        order.fulfillment_status = FulfillmentStatus.RELEASED
        order.save(update_fields=["fulfillment_status", "updated_at"])
    c.record_order(order, None if automatic else by, entries)
    return release


@atomic_with_retry
def order_release(*, by, order: Order | int, up_to: dt.date | None = None) -> Release:
    """Release an order by hand (a head of sales or an administrator): what is due by
    `up_to` — None releases every remaining dated part at once, ahead of its date.
    Refusals: `release_not_permitted` (403), `order_on_credit_hold`, `order_not_confirmed`,
    `release_blocked` (a blocker's reason), `prepayment_not_received`,
    `nothing_to_release` (all 409); nothing is released then."""
    if not can_release(by):
        raise PermissionRefused(
            _("Only a head of sales or an administrator releases orders."),
            code="release_not_permitted",
        )
    order = c.lock_order_row(order)
    blockers = release_blockers(order)
    if blockers:
        first = blockers[0]
        raise Conflict(
            first.message, code=first.code, params={"reasons": [b.message for b in blockers]}
        )
    release = _release_locked(order, by=by, up_to=up_to, automatic=False)
    if release is None:
        raise Conflict(
            _("Order %(n)s has nothing left to release.") % {"n": order.number},
            code="nothing_to_release",
        )
    return release


@atomic_with_retry
def order_release_due(*, by=None, order: Order | int, on: dt.date | None = None) -> Release | None:
    """The automatic release: what is due by `on` (today) when nothing blocks the order;
    None when it is blocked or nothing is due (no error: the rule simply waits)."""
    order = c.lock_order_row(order)
    if release_blockers(order):
        return None
    return _release_locked(order, by=by, up_to=on or c.today(), automatic=True)


def release_at_confirmation(order: Order, lines: list[OrderLine]) -> bool:
    """The automatic release (as `order_release_due`: what is due today, the system acting)
    inside the transaction that confirms `order`, with the order row and its `lines` as the
    confirming service locked and read them: nothing is read twice, and no third
    transaction is needed. In a savepoint: a release that fails never undoes the
    confirmation.

    True: settled now — released, nothing due yet, or waiting for the prepayment (after
    the commit the gate would answer the same). False: ask again after the commit
    (`reactions.after_order_change`), exactly as before — when a `RELEASE_BLOCKERS` handler
    objects (credit control's answer may change with what the rest of the confirming
    transaction writes: a credit override's amount is set after the confirmation it
    allows) or when the release failed (logged)."""
    before = (order.fulfillment_status, order.updated_at)
    try:
        with savepoint():  # what the release deferred (its history) goes if it fails
            blockers = release_blockers(order)
            if blockers:
                return all(b.code == PREPAYMENT_NOT_RECEIVED for b in blockers)
            _release_locked(order, by=None, up_to=c.today(), automatic=True, lines=lines)
    except Exception as exc:  # the confirmation stands; the step is tried after the commit
        order.fulfillment_status, order.updated_at = before
        log.warning(
            "order %s: release at confirmation failed (%s); tried again after the commit",
            order.pk,
            getattr(exc, "code", type(exc).__name__),
        )
        return False
    return True


def release_due_orders(*, on: dt.date | None = None, by=None) -> list[Release]:
    """Release every confirmed order whose dated parts are due by `on` (today) and that
    nothing blocks; each order in its own transaction (`orderdesk release_orders`, daily)."""
    on = on or c.today()
    candidates = (
        Order.objects.filter(status=OrderStatus.CONFIRMED)
        .exclude(fulfillment_status=FulfillmentStatus.SHIPPED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    released = []
    for pk in candidates.iterator():
        try:
            release = order_release_due(by=by, order=pk, on=on)
        except DomainError as exc:  # one order's trouble does not stop the others
            log.warning("release of order %s failed: %s", pk, exc.code)
            continue
        if release is not None:
            released.append(release)
    return released
