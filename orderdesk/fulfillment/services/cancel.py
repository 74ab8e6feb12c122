"""Cancelling a line or its remainder, from the warehouse's side: stock and documents."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from orderdesk.billing.services import credit_note_for_cancellation
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import PermissionRefused
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services.line_cancel import order_line_cancel

from ..models import LineCancellation
from ..permissions import can_cancel_lines
from . import _common as c
from .closing import close_if_done
from .stock import unreserve_locked


@atomic_with_retry
def line_cancel(
    *,
    by,
    order: Order | int,
    line: OrderLine | int,
    quantity: Any = None,
    reason: Any,
    comment: str = "",
) -> LineCancellation:
    """Cancel `quantity` of a line (None: all that is left) with a catalogue reason.

    The reserved stock beyond what stays open returns to the warehouse; an invoiced line is
    credited by billing's policy (`credit_note_for_cancellation`); the cancellation is kept
    (`LineCancellation`: reason, who, when) for the reports; the order closes itself when
    that finished it and it is paid. Refusals: `order_not_found` (404),
    `order_not_permitted` (403), and the orders rule's `order_not_confirmed`, `line_unknown`,
    `cancel_reason_required`, `cancel_reason_unknown`, `cancel_comment_required`,
    `quantity_not_positive`, `line_nothing_to_cancel`, `cancel_exceeds_remainder`.
    """
    pk = c.visible_order_pk(by, order)
    locked = c.lock_order_row(pk)
    if not can_cancel_lines(by, locked):
        raise PermissionRefused(
            _("You may not change order %(n)s.") % {"n": locked.number},
            code="order_not_permitted",
        )
    current, qty, reason_obj, comment = order_line_cancel(
        by=by, order=locked, line=line, quantity=quantity, reason=reason, comment=comment
    )
    passed: list = []
    returned = unreserve_locked(locked, [current], by=by, reason="line_cancelled", passed=passed)
    note = credit_note_for_cancellation(
        by=by, order=locked, lines=[(current, qty)], comment=comment or reason_obj.name
    )
    cancellation = LineCancellation.objects.create(
        order=locked,
        line=current,
        quantity=qty,
        reason=reason_obj,
        comment=comment,
        reservation_returned=returned.get(current.pk, c.ZERO),
        credit_note_id=note.pk if note else None,
        created_by=by,
    )
    if returned:
        c.record_order(
            locked,
            by,
            [
                c.Entry(
                    "fulfillment.stock.unreserved",
                    locked,
                    {},
                    {
                        "lines": [{"position": current.position, "quantity": returned[current.pk]}],
                        "cancellation": cancellation.pk,
                        **({"passed_on": passed} if passed else {}),
                    },
                )
            ],
        )
    close_if_done(order=locked.pk)
    return cancellation
