"""Confirmation under credit control, and the moves credit control makes on an order.

Every confirmation (a draft with no approval needed, the last approval, a release from hold)
goes through `confirm_locked`: the exchange rate is fixed, the credit check runs under the
customer's credit-account lock (`credit.services.check`), and the order is either confirmed
(its total committed in `credit`) or held (`credit_hold`, in the release queue with the
reasons in numbers). Amendments adjust the commitment; cancelling or closing releases it.

Error codes: order_empty, customer_inactive, exchange_rate_missing (confirmation);
order_not_held, credit_override_forbidden, credit_override_reason_required (release).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import NotFound, ValidationFailed
from orderdesk.core.money import quantize
from orderdesk.core.services import base_currency
from orderdesk.core.transitions import transition_target
from orderdesk.credit import services as credit

from .. import hooks
from ..choices import TRANSITIONS, OrderAction, OrderStatus
from ..models import Order
from . import _common as c

PAST = {
    OrderAction.CONFIRM: "confirmed",
    OrderAction.APPROVE: "confirmed",
    OrderAction.RELEASE: "confirmed",
    OrderAction.HOLD: "credit_held",
    OrderAction.SUBMIT: "submitted",
    OrderAction.REJECT: "approval_rejected",
    OrderAction.RETURN: "returned_to_draft",
    OrderAction.REOPEN: "approval_reopened",
}


# what confirm_locked changes on the order row: saved with update_fields, so the UPDATE
# writes these columns only (a smaller row image and WAL than every column)
CONFIRM_FIELDS = [
    "status",
    "confirmed_at",
    "exchange_rate",
    "net_amount",
    "vat_amount",
    "gross_amount",
    "base_net_amount",
    "base_vat_amount",
    "base_gross_amount",
    "base_granted_discount_amount",
    "updated_at",
]


def lock_plain(order: Order | int) -> Order:
    """The order row FOR UPDATE without the editor's permission check (for moves made by an
    approver's decision or a credit controller's release)."""
    pk = getattr(order, "pk", order)
    try:
        return (
            Order.objects.select_for_update(of=("self",))
            .select_related("customer", "price_list", "contract")
            .get(pk=pk)
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such order."), code="order_not_found") from None


def move(edit: c.Edit, action: str, **data: Any) -> None:
    """Move by the transitions table (the only place of truth) and record it."""
    order = edit.order
    target = transition_target(TRANSITIONS, order.status, action, what=_("order"))
    before = order.status
    order.status = target
    edit.add(
        f"orders.order.{PAST.get(action, action)}",
        order,
        {"status": {"from": before, "to": target}},
        **data,
    )


def credit_numbers(assessment) -> dict[str, Any]:
    d = assessment.as_dict()
    return {
        "exposure": d["exposure"],
        "receivables": d["receivables"],
        "orders": d["orders"],
        "this_order": d["this_order"],
        "limit": d["limit"],
        "mode": d["mode"],
        "reasons": assessment.reasons,
    }


def assess(order: Order, stage: str, *, lock: bool = True):
    return credit.check(
        customer=order.customer,
        amount=order.base_gross_amount,
        stage=stage,
        order_id=order.pk,
        contract_id=order.contract_id,
        lock=lock,
    )


def confirm_locked(by, order: Order, *, action: str, stage: str, **data: Any) -> Order:
    """Confirm the locked order (`action`: confirm, approve or release) unless the credit
    check holds it. Writes the history of the call."""
    lines = list(order.lines.all())
    if not lines:
        raise ValidationFailed(_("An order without lines cannot be confirmed."), code="order_empty")
    c.resolve_customer(order.customer)
    transition_target(TRANSITIONS, order.status, action, what=_("order"))
    edit = c.Edit(order, by)
    today = timezone.localdate()
    rate = c.order_rate(order.currency_id, today)
    if rate != order.exchange_rate:
        edit.add(
            "orders.order.rate_fixed",
            order,
            {"exchange_rate": {"from": order.exchange_rate, "to": rate}},
            date=today,
        )
        order.exchange_rate = rate
        c.set_totals(order, lines)
    assessment = assess(order, stage)
    if assessment.holds:
        move(edit, OrderAction.HOLD, credit=credit_numbers(assessment), **data)
        credit.hold_create(
            order_id=order.pk,
            order_number=order.number,
            customer=order.customer,
            amount=order.base_gross_amount,
            assessment=assessment,
        )
        order.save(update_fields=CONFIRM_FIELDS)
        edit.flush()
        return order
    first_time = order.confirmed_at is None
    extra = dict(data)
    if assessment.breaches:
        extra["credit_warnings"] = assessment.reasons
    move(edit, action, **extra)
    if first_time:
        order.confirmed_at = timezone.now()
    order.save(update_fields=CONFIRM_FIELDS)
    credit.commit(
        customer=order.customer,
        order_id=order.pk,
        order_number=order.number,
        amount=order.base_gross_amount,
        cancelled=cancelled_base(order),
        checked=assessment,  # the rows the check locked and read: written without a re-read
    )
    edit.flush()
    if first_time:
        # billing issues the prepayment invoice, ... (same transaction)
        hooks.emit(hooks.ORDER_CONFIRMED, by=by, order=order)
    hooks.emit(hooks.ORDER_CHANGED, by=by, order=order, change=hooks.CHANGE_CONFIRMED)
    return order


def after_amendment(edit: c.Edit, before_amount: Decimal) -> None:
    """A confirmed order was amended: a larger amount is checked again (a blocking mode holds
    the order); the commitment follows the new total."""
    order = edit.order
    if order.status != OrderStatus.CONFIRMED:
        return
    assessment = None
    if order.base_gross_amount > before_amount:
        assessment = assess(order, "amend")
        if assessment.holds:
            move(edit, OrderAction.HOLD, credit=credit_numbers(assessment))
            order.save(update_fields=["status"])
            credit.commitment_release(order_id=order.pk)
            credit.hold_create(
                order_id=order.pk,
                order_number=order.number,
                customer=order.customer,
                amount=order.base_gross_amount,
                assessment=assessment,
            )
            return
        if assessment.breaches:
            edit.add("orders.order.credit_warning", order, {}, reasons=assessment.reasons)
    credit.commit(
        customer=order.customer,
        order_id=order.pk,
        order_number=order.number,
        amount=order.base_gross_amount,
        cancelled=cancelled_base(order),
        checked=assessment,
    )


def cancelled_base(order: Order) -> Decimal:
    """The value of the order's cancelled quantities in base currency: not committed."""
    value = sum(  # the lines as loaded with the order (prefetched on confirm: no query)
        (
            li.gross_amount * li.cancelled_quantity / li.quantity
            for li in order.lines.all()
            if li.quantity and li.cancelled_quantity > 0
        ),
        Decimal(0),
    )
    return quantize(value * order.exchange_rate, base_currency())


def on_credit_released(*, by, order_id: int, hold) -> None:
    """credit's handler: a controller released the held order once (the override)."""
    order = lock_plain(order_id)
    if order.status != OrderStatus.CREDIT_HOLD:
        return
    confirm_locked(
        by,
        order,
        action=OrderAction.RELEASE,
        stage="release_override",
        comment=hold.comment,
        override_amount=hold.override_amount,
    )
    if order.base_gross_amount > (hold.override_amount or 0):
        # the rate fixed at release moved the total: the override covers the order as released
        type(hold).objects.filter(pk=hold.pk).update(override_amount=order.base_gross_amount)


@atomic_with_retry
def order_release(*, by, order: Order | int, comment: str) -> Order:
    """Release a held order once, with a comment (credit controllers, administrators):
    `credit_override_forbidden`, `credit_override_reason_required`, `order_not_held`."""
    pk = getattr(order, "pk", order)
    credit.hold_release(by=by, order_id=pk, comment=comment)
    return Order.objects.get(pk=pk)


def release_blockers(*, order: Order, **_kw) -> str | None:
    """hooks.RELEASE_BLOCKERS: why the order may not go to the warehouse (a blocking mode,
    a breach, no override), or None."""
    if order.status == OrderStatus.CREDIT_HOLD:
        return _("The order is in credit hold.")
    assessment = credit.check(
        customer=order.customer,
        amount=None,
        stage="release",
        order_id=order.pk,
        contract_id=order.contract_id,
        lock=False,
    )
    if assessment.holds:
        return _("Credit control: %(r)s") % {"r": "; ".join(assessment.reasons)}
    return None


def entry_warning(customer, *, contract_id: int | None = None) -> list[str]:
    """What credit control says before any work starts on a new order for `customer`."""
    assessment = credit.check(
        customer=customer, amount=Decimal(0), stage="entry", contract_id=contract_id, lock=False
    )
    return assessment.reasons
