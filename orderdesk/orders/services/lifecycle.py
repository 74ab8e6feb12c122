"""Moving an order through its states: confirm, amend, cancel, close."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.approvals import services as approvals
from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import ValidationFailed
from orderdesk.credit import services as credit

from .. import hooks
from ..choices import TRANSITIONS, FulfillmentStatus, OrderAction, OrderStatus
from ..models import Amendment, CancellationReason, Order
from . import _common as c
from .approval_flow import material_state, reopen_if_needed, submit_locked
from .credit_flow import after_amendment
from .entry import apply_changes, lock_order
from .progress import shipping_status

SHIPPING_STATES = (FulfillmentStatus.PARTIALLY_SHIPPED, FulfillmentStatus.SHIPPED)


def _move(edit: c.Edit, action: str, target: str, **data: Any) -> None:
    order = edit.order
    before = order.status
    order.status = target
    edit.add(
        f"orders.order.{_PAST[action]}", order, {"status": {"from": before, "to": target}}, **data
    )


_PAST = {
    OrderAction.CONFIRM: "confirmed",
    OrderAction.CANCEL: "cancelled",
    OrderAction.CLOSE: "closed",
}


@atomic_with_retry
def order_confirm(*, by, order: Order | int) -> Order:
    """Confirm a draft — the same path as submitting it (approval_flow.order_submit): when its
    deviations match approval rules it waits for approval (pending_approval); otherwise it is
    confirmed under credit control (the exchange rate fixed at today's rate, the total
    committed) or held (credit_hold). Raises `order_empty`, `customer_inactive`,
    `exchange_rate_missing`, `approval_no_approver`."""
    order = lock_order(order, by=by, action=OrderAction.CONFIRM, moving=True)
    with cache.scope(order.reference_token):
        return submit_locked(by, order, action=OrderAction.CONFIRM)


@atomic_with_retry
def order_amend(
    *,
    by,
    order: Order | int,
    reason: str,
    header: dict[str, Any] | None = None,
    add: list[c.LineInput] | tuple = (),
    update: dict[int, dict[str, Any]] | None = None,
    remove: list[int] | tuple = (),
) -> Amendment:
    """Change a confirmed order explicitly: a reason, a new revision, every change in history.

    When something has shipped, the fulfillment state follows the new quantities (shipped
    when nothing is left to ship, partially shipped when something is again).

    Raises `amendment_reason_required`, `nothing_to_amend`, `quantity_below_shipped`,
    `line_has_shipments`, `line_has_history` (a removed line with cancellations or
    documents), and the entry errors for the changed values.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the order is amended."),
            code="amendment_reason_required",
            fields={"reason": None},
        )
    order = lock_order(order, by=by, action=OrderAction.AMEND)
    revision = order.revision + 1
    edit = c.Edit(order, by, data={"revision": revision})
    before_state, before_amount = material_state(order), order.base_gross_amount
    if not apply_changes(edit, header=header, add=add, update=update, remove=remove):
        raise ValidationFailed(_("The amendment changes nothing."), code="nothing_to_amend")
    order.revision = revision
    saved = ["revision"]
    if order.fulfillment_status in SHIPPING_STATES:
        # the quantities moved: what is left to ship may be nothing now, or something again
        status = shipping_status(order.lines.all())
        if status is not None and status != order.fulfillment_status:
            edit.add(
                "orders.order.fulfillment_status_changed",
                order,
                {"fulfillment_status": {"from": order.fulfillment_status, "to": status}},
                reason="amended",
            )
            order.fulfillment_status = status
            saved += ["fulfillment_status", "updated_at"]
    order.save(update_fields=saved)
    amendment = Amendment.objects.create(
        order=order, revision=revision, reason=reason, created_by=by
    )
    edit.add(
        "orders.order.amended",
        order,
        {"revision": {"from": revision - 1, "to": revision}},
        reason=reason,
    )
    # a material change reopens approval when rules fire; else credit control re-checks a
    # larger amount and the commitment follows the new total
    if not reopen_if_needed(edit, before_state):
        after_amendment(edit, before_amount)
    edit.flush()
    hooks.emit(hooks.ORDER_CHANGED, by=by, order=order, change=hooks.CHANGE_AMENDED)
    return amendment


@atomic_with_retry
def order_cancel(*, by, order: Order | int, reason: Any, comment: str = "") -> Order:
    """Cancel with a reason from the catalogue (`cancel_reason_required`, `cancel_reason_unknown`,
    `cancel_comment_required` for "other"); an order with shipments cannot be cancelled
    (`order_has_shipments`)."""
    if reason in (None, ""):
        raise ValidationFailed(
            _("Choose a cancellation reason."),
            code="cancel_reason_required",
            fields={"reason": None},
        )
    try:
        reason_obj = (
            reason
            if isinstance(reason, CancellationReason)
            else CancellationReason.objects.get(
                **({"pk": int(reason)} if str(reason).isdigit() else {"code": reason})
            )
        )
    except CancellationReason.DoesNotExist:
        reason_obj = None
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
    order = lock_order(order, by=by, action=OrderAction.CANCEL)
    target = TRANSITIONS[(order.status, OrderAction.CANCEL)]
    if order.lines.filter(shipped_quantity__gt=0).exists():
        raise ValidationFailed(
            _("Goods of this order have shipped; cancel the remainder by line."),
            code="order_has_shipments",
        )
    edit = c.Edit(order, by)
    _move(
        edit,
        OrderAction.CANCEL,
        target,
        reason=reason_obj.code,
        reason_name=reason_obj.name,
        comment=comment,
    )
    approvals.approval_cancel(by=by, subject_id=order.pk, reason=comment or reason_obj.code)
    credit.hold_close(order_id=order.pk)
    credit.commitment_release(order_id=order.pk)
    order.cancel_reason, order.cancel_comment = reason_obj, comment
    order.cancelled_at = timezone.now()
    order.last_changed_by = by
    order.save()
    edit.flush()
    hooks.emit(hooks.ORDER_CANCELLED, by=by, order=order)
    return order


@atomic_with_retry
def order_close(*, by, order: Order | int) -> Order:
    """Close a confirmed order by hand (fulfilment closes orders itself once it exists)."""
    order = lock_order(order, by=by, action=OrderAction.CLOSE)
    target = TRANSITIONS[(order.status, OrderAction.CLOSE)]
    edit = c.Edit(order, by)
    _move(edit, OrderAction.CLOSE, target)
    credit.commitment_release(order_id=order.pk)
    order.closed_at = timezone.now()
    order.last_changed_by = by
    order.save()
    edit.flush()
    hooks.emit(hooks.ORDER_CLOSED, by=by, order=order, automatic=False)
    return order


__all__ = ["OrderStatus", "order_amend", "order_cancel", "order_close", "order_confirm"]
