"""Cancelling a confirmed order's line, or what is left of it, with a reason.

`cancelled_quantity` is an order concept (what will never ship), so the rule lives here; the
warehouse (fulfillment) calls it under its own transaction and returns the reserved stock.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.core.money import quantize
from orderdesk.core.services import base_currency
from orderdesk.credit import services as credit

from .. import hooks
from ..choices import FulfillmentStatus, OrderStatus
from ..models import CancellationReason, Order, OrderLine
from ..permissions import can_edit_order
from . import _common as c
from .progress import lock_order_row


def resolve_reason(reason: Any, comment: str = "") -> tuple[CancellationReason, str]:
    """The catalogue reason (by object, id or code) and the cleaned comment.

    Raises `cancel_reason_required`, `cancel_reason_unknown`, `cancel_comment_required`."""
    if reason in (None, ""):
        raise ValidationFailed(
            _("Choose a cancellation reason."),
            code="cancel_reason_required",
            fields={"reason": None},
        )
    if isinstance(reason, CancellationReason):
        reason_obj = reason
    else:
        key = {"pk": int(reason)} if str(reason).isdigit() else {"code": str(reason)}
        reason_obj = CancellationReason.objects.filter(**key).first()
    if reason_obj is None or not reason_obj.active:
        raise ValidationFailed(
            _("Unknown cancellation reason “%(r)s”.") % {"r": reason},
            code="cancel_reason_unknown",
            fields={"reason": str(reason)},
        )
    comment = (comment or "").strip()
    if reason_obj.requires_text and not comment:
        raise ValidationFailed(
            _("This reason needs an explanation."),
            code="cancel_comment_required",
            fields={"comment": None},
        )
    return reason_obj, comment


def open_quantity(line: OrderLine) -> Decimal:
    """Ordered less cancelled less shipped: what may still ship or be cancelled."""
    return line.quantity - line.cancelled_quantity - line.shipped_quantity


@atomic_with_retry
def order_line_cancel(
    *,
    by,
    order: Order | int,
    line: OrderLine | int,
    quantity: Any = None,
    reason: Any,
    comment: str = "",
) -> tuple[OrderLine, Decimal, CancellationReason, str]:
    """Cancel `quantity` of a confirmed order's line (None: all of what is left).

    Rules: the user may change the order (`order_not_permitted`); the order is confirmed
    (`order_not_confirmed`); the line is the order's (`line_unknown`); a reason from the
    catalogue (`cancel_reason_required`, `cancel_reason_unknown`, `cancel_comment_required`);
    the quantity positive (`quantity_not_positive`) and within ordered - cancelled - shipped
    (`cancel_exceeds_remainder`; nothing left: `line_nothing_to_cancel`). Records
    `orders.line.cancelled` (and the fulfillment state when the rest has shipped) in the
    order's stream. Returns (line, cancelled quantity, reason, comment).
    """
    reason_obj, comment = resolve_reason(reason, comment)
    order = lock_order_row(order)
    if not can_edit_order(by, order):
        raise PermissionRefused(
            _("You may not change order %(n)s.") % {"n": order.number}, code="order_not_permitted"
        )
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict(
            _("Order %(n)s is not confirmed.") % {"n": order.number}, code="order_not_confirmed"
        )
    pk = line.pk if isinstance(line, OrderLine) else line
    lines = {li.pk: li for li in order.lines.select_for_update().order_by("pk")}
    current = lines.get(int(pk)) if str(pk).isdigit() else None
    if current is None:
        raise ValidationFailed(
            _("No line %(l)s on this order.") % {"l": pk}, code="line_unknown", fields={"line": pk}
        )
    left = open_quantity(current)
    if left <= 0:
        raise Conflict(
            _("Line %(p)s has nothing left to cancel.") % {"p": current.position},
            code="line_nothing_to_cancel",
        )
    qty = left if quantity in (None, "") else c.check_quantity(quantity)
    if qty > left:
        raise ValidationFailed(
            _("Line %(p)s has only %(q)s left; shipped goods are not cancelled.")
            % {"p": current.position, "q": left},
            code="cancel_exceeds_remainder",
            fields={"quantity": str(qty)},
        )
    before = current.cancelled_quantity
    current.cancelled_quantity = before + qty
    current.save(update_fields=["cancelled_quantity"])
    entries = [
        Entry(
            "orders.line.cancelled",
            current,
            {"cancelled_quantity": {"from": before, "to": current.cancelled_quantity}},
            {
                "quantity": qty,
                "reason": reason_obj.code,
                "reason_name": reason_obj.name,
                "comment": comment,
            },
        )
    ]
    shipped_any = any(li.shipped_quantity > 0 for li in lines.values())
    complete = all(open_quantity(li) <= 0 for li in lines.values())
    if shipped_any and complete and order.fulfillment_status != FulfillmentStatus.SHIPPED:
        entries.append(
            Entry(
                "orders.order.fulfillment_status_changed",
                order,
                {
                    "fulfillment_status": {
                        "from": order.fulfillment_status,
                        "to": FulfillmentStatus.SHIPPED,
                    }
                },
                {"reason": "remainder_cancelled"},
            )
        )
        order.fulfillment_status = FulfillmentStatus.SHIPPED
        order.save(update_fields=["fulfillment_status", "updated_at"])
    record_many(stream=stream_of(order), by=by, entries=entries)
    if order.status == OrderStatus.CONFIRMED:
        # what is cancelled no longer counts against the customer's credit limit
        credit.commit(
            customer=order.customer_id,
            order_id=order.pk,
            order_number=order.number,
            amount=_base_total_not_cancelled(order, lines.values()),
        )
    hooks.emit(hooks.ORDER_CHANGED, by=by, order=order, change=hooks.CHANGE_FULFILLMENT)
    return current, qty, reason_obj, comment


def _base_total_not_cancelled(order: Order, lines) -> Decimal:
    """The order total in base currency less the cancelled quantities' share of each line."""
    remaining = sum(
        (
            li.gross_amount * (li.quantity - li.cancelled_quantity) / li.quantity
            for li in lines
            if li.quantity
        ),
        Decimal(0),
    )
    return quantize(remaining * order.exchange_rate, base_currency())
