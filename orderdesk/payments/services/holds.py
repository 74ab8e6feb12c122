"""The review queue of provider payments that were not applied by themselves."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.billing.services import payment_create
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, NotFound, ValidationFailed
from orderdesk.core.services import currency_get

from .. import providers
from ..calculations import plan_allocation
from ..choices import HoldReason, HoldStatus, LinkStatus
from ..models import PaymentHold, PaymentLink
from . import _common as c


def _hold(value: Any) -> PaymentHold:
    try:
        return PaymentHold.objects.get(pk=int(getattr(value, "pk", value)))
    except (PaymentHold.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such held payment."), code="hold_not_found") from None


def _locked_hold(value: Any, *order_ids: int) -> PaymentHold:
    """The hold FOR UPDATE after its order and `order_ids` (ascending), still open."""
    pk = _hold(value).pk
    c.lock_orders([PaymentHold.objects.get(pk=pk).order_id, *order_ids])
    hold = (
        PaymentHold.objects.select_for_update(of=("self",))
        .select_related("event", "link")
        .get(pk=pk)
    )
    if hold.status != HoldStatus.OPEN:
        raise Conflict(
            _("This held payment is %(s)s already.") % {"s": hold.get_status_display()},
            code="hold_resolved",
        )
    return hold


def _reason(value: str, field: str = "reason") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(
            _("Say why."), code="resolution_reason_required", fields={field: None}
        )
    return text


@atomic_with_retry
def hold_apply(*, by, hold: Any, invoice: Any = None, note: str = "") -> PaymentHold:
    """Record a held provider payment by hand, against the hold's invoice or the one chosen
    (for an unknown link). The amount and currency are what the customer paid; billing
    settles the invoice with it (another currency at the day's rate) and keeps the rest as
    the customer's credit. Raises `payments_not_permitted`, `hold_not_found` (404),
    `hold_resolved` (409), `hold_is_refund` (409), `hold_invoice_required`,
    `hold_amount_unknown`, `invoice_not_found`, `invoice_not_posted`, `currency_unknown`,
    and billing's payment refusals (`payment_duplicate`, `exchange_rate_missing`, ...)."""
    c.require_manage(by, _("held payment"))
    found = _hold(hold)
    chosen = invoice if invoice not in (None, "") else found.invoice_id
    target = c.invoice_or_404(chosen) if chosen is not None else None
    hold = _locked_hold(found, target.order_id if target else None)
    if hold.reason == HoldReason.REFUND_REPORTED:
        raise Conflict(
            _("A refund is not a payment: reverse the payment in billing and dismiss this."),
            code="hold_is_refund",
        )
    if target is None:
        raise ValidationFailed(
            _("Choose the invoice this payment is for."),
            code="hold_invoice_required",
            fields={"invoice": None},
        )
    c.require_posted(target)
    if hold.amount is None or not hold.currency:
        raise ValidationFailed(
            _("The provider did not say how much was paid."), code="hold_amount_unknown"
        )
    currency = currency_get(hold.currency).code
    allocations: Any = "auto"
    if currency == target.currency_id:
        allocations = plan_allocation(
            [(i.pk, i.open_amount) for i in c.open_debits(invoice=target)], hold.amount
        )
    moment = hold.event.occurred_at if hold.event and hold.event.occurred_at else c.now()
    label = providers.ADAPTERS[hold.provider].label
    payment = payment_create(
        by=by,
        customer=target.customer_id,
        order=target.order_id,
        amount=hold.amount,
        currency=currency,
        payment_date=timezone.localdate(moment),
        purpose=f"{label}: {target.number}",
        bank_reference=(
            f"{hold.provider}:{hold.provider_payment_id}"[:64] if hold.provider_payment_id else ""
        ),
        allocations=allocations,
    )
    hold.status = HoldStatus.APPLIED
    hold.payment = payment
    hold.invoice, hold.order_id, hold.customer_id = target, target.order_id, target.customer_id
    hold.resolved_by, hold.resolved_at, hold.resolution = by, c.now(), (note or "").strip()
    hold.save()
    entries = [
        c.status_entry(
            "payments.hold.applied",
            hold,
            HoldStatus.OPEN,
            HoldStatus.APPLIED,
            payment=payment.number,
            amount=hold.amount,
            currency=currency,
            invoice=target.number,
            note=hold.resolution,
        )
    ]
    link = hold.link
    if link is not None and link.status == LinkStatus.HELD and link.invoice_id == target.pk:
        link = PaymentLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
        link.status, link.payment, link.paid_at = LinkStatus.PAID, payment, moment
        link.save(update_fields=["status", "payment", "paid_at", "updated_at"])
        entries.append(
            c.status_entry(
                "payments.link.paid", link, LinkStatus.HELD, LinkStatus.PAID, payment=payment.number
            )
        )
    c.history(target.order_id, by, entries)
    return hold


@atomic_with_retry
def hold_dismiss(*, by, hold: Any, reason: str) -> PaymentHold:
    """Close a held payment without recording it (refunded to the customer, a test payment,
    a refund already handled in billing); a link held by it may be paid again. Raises `payments_not_permitted`, `hold_not_found`,
    `hold_resolved` (409), `resolution_reason_required`."""
    c.require_manage(by, _("held payment"))
    hold = _locked_hold(hold)
    text = _reason(reason)
    hold.status = HoldStatus.DISMISSED
    hold.resolved_by, hold.resolved_at, hold.resolution = by, c.now(), text
    hold.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    entries = [
        c.status_entry(
            "payments.hold.dismissed",
            hold,
            HoldStatus.OPEN,
            HoldStatus.DISMISSED,
            reason=text,
            amount=hold.amount,
            currency=hold.currency,
        )
    ]
    link = hold.link
    if link is not None and link.status == LinkStatus.HELD:
        # the held attempt is settled apart (refunded): the customer may pay by the link again
        link = PaymentLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
        link.status = LinkStatus.FAILED
        link.save(update_fields=["status", "updated_at"])
        entries.append(
            c.status_entry("payments.link.failed", link, LinkStatus.HELD, LinkStatus.FAILED)
        )
    if hold.order_id:
        c.history(hold.order_id, by, entries)
    return hold
