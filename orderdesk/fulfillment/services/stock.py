"""Stock: receipts, adjustments and reservations.

Serialization point: the `catalog.StockBalance` row of (product, warehouse), locked
FOR UPDATE by every change of `on_hand` or `reserved` (after the order row, when an order is
involved; several rows in ascending product id). The database CHECK keeps
0 <= reserved <= on_hand whatever happens.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.audit.services import record, stream_of
from orderdesk.catalog.models import Product, StockBalance, Warehouse
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services._common import check_quantity, number

from ..models import MoveKind, StockMove
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


def _move(*, by, balance: StockBalance, kind: str, quantity: Decimal, comment: str) -> StockMove:
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
        data={"move": move.pk, "quantity": quantity, "comment": comment},
    )
    return move


@atomic_with_retry
def stock_receive(
    *, by, product: Product | int, warehouse: Warehouse | int, quantity: Any, comment: str = ""
) -> StockMove:
    """Goods arrived: on hand goes up. Rules: the warehouse or an administrator
    (`stock_not_permitted`); a known product and warehouse (`product_unknown`,
    `warehouse_unknown`); a positive quantity, 3 decimals (`quantity_not_positive`)."""
    _require_keeper(by)
    product = _resolve(Product, product, "product_unknown", "product")
    warehouse = _resolve(Warehouse, warehouse, "warehouse_unknown", "warehouse")
    qty = check_quantity(quantity)
    balance = c.lock_balances(warehouse.pk, [product.pk])[product.pk]
    return _move(
        by=by, balance=balance, kind=MoveKind.RECEIPT, quantity=qty, comment=comment.strip()
    )


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
    return _move(by=by, balance=balance, kind=MoveKind.ADJUSTMENT, quantity=qty, comment=comment)


def reserve_locked(order: Order, by) -> list[dict]:
    """Reserve what each open line lacks, as far as stock is available (the order row is
    locked by the caller). Returns the changes [{position, reserved, backordered}]."""
    lines = list(order.lines.select_for_update().order_by("pk"))
    reservations = c.reservations_of(order, lines)
    wants = {}
    for line in lines:
        want = c.open_quantity(line) - reservations[line.pk].quantity
        if want > 0:
            wants[line.pk] = want
    if not wants:
        return []
    balances = c.lock_balances(
        order.warehouse_id, [li.product_id for li in lines if li.pk in wants]
    )
    changes = []
    for line in lines:
        want = wants.get(line.pk)
        if not want:
            continue
        balance = balances[line.product_id]
        grant = max(c.ZERO, min(want, balance.on_hand - balance.reserved))
        if grant > 0:
            balance.reserved += grant
            reservation = reservations[line.pk]
            reservation.quantity += grant
            reservation.save(update_fields=["quantity", "updated_at"])
        changes.append({"position": line.position, "reserved": grant, "backordered": want - grant})
    for balance in balances.values():
        balance.save(update_fields=["reserved"])
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
    return changes


def unreserve_locked(order: Order, lines, *, keep_open: bool = True) -> dict[int, Decimal]:
    """Give back what `lines` hold beyond their open quantity (all of it when
    `keep_open=False`); the order row is locked by the caller. Returns {line id: returned}."""
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
    returned = {}
    for line in lines:
        reservation = reservations.get(line.pk)
        if reservation is None:
            continue
        keep = max(c.ZERO, c.open_quantity(line)) if keep_open else c.ZERO
        back = reservation.quantity - min(reservation.quantity, keep)
        if back > 0:
            reservation.quantity -= back
            reservation.save(update_fields=["quantity", "updated_at"])
            balances[line.product_id].reserved -= back
            returned[line.pk] = back
    for balance in balances.values():
        balance.save(update_fields=["reserved"])
    return returned


def return_all_reservations(*, order: Order) -> dict:
    """A cancelled or closed order gives all its reserved stock back (the order row is
    locked by whoever changed its state); recorded as `fulfillment.stock.unreserved`."""
    locked = c.lock_order_row(order.pk)
    lines = list(locked.lines.order_by("pk"))
    returned = unreserve_locked(locked, lines, keep_open=False)
    if returned:
        by_pk = {li.pk: li for li in lines}
        c.record_order(
            locked,
            None,
            [
                c.Entry(
                    "fulfillment.stock.unreserved",
                    locked,
                    {},
                    {
                        "lines": [
                            {"position": by_pk[pk].position, "quantity": q}
                            for pk, q in returned.items()
                        ],
                        "reason": locked.status,
                    },
                )
            ],
        )
    return returned
