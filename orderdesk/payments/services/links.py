"""Payment links: the customer pays a posted invoice's open amount on the provider's page.

No external call inside a database transaction: the link row is written first ("creating")
and committed, then the provider is called, then its answer is stored in a new transaction.
A process that dies between the two leaves a "creating" link, which the status poll resumes
(LiqPay needs no call; Stripe takes the link reference as its Idempotency-Key; a monobank
invoice whose page nobody saw simply expires there).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from orderdesk.billing.models import Invoice
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import DomainError, PermissionRefused, ValidationFailed

from .. import providers
from ..choices import LinkStatus
from ..models import PaymentLink
from ..permissions import can_create_link
from . import _common as c

REUSABLE = (LinkStatus.CREATING, LinkStatus.ACTIVE, LinkStatus.PROCESSING)


def link_data(link: PaymentLink, **extra: Any) -> dict[str, Any]:
    return {
        "reference": link.reference,
        "provider": link.provider,
        "invoice": link.invoice.number if link.invoice_id else "",
        "amount": link.amount,
        "currency": link.currency_id,
        **extra,
    }


def description(invoice: Invoice) -> str:
    return _("Payment of invoice %(n)s, order %(o)s") % {
        "n": invoice.number,
        "o": invoice.order.number,
    }


@atomic_with_retry
def _link_begin(*, by, invoice: Any, provider: str) -> tuple[PaymentLink, bool]:
    invoice = c.invoice_or_404(invoice)
    order = c.lock_order(invoice.order_id)
    if not can_create_link(by, order):
        raise PermissionRefused(
            _("You may not ask for payment of this order's invoices."),
            code="payments_not_permitted",
        )
    invoice = Invoice.objects.select_related("order", "customer").get(pk=invoice.pk)
    c.require_posted(invoice)
    adapter = providers.adapter(provider)
    if invoice.currency_id not in adapter.currencies:
        raise ValidationFailed(
            _("%(p)s does not take %(c)s.") % {"p": adapter.label, "c": invoice.currency_id},
            code="currency_not_supported",
            fields={"provider": provider},
        )
    amount = c.open_amount(invoice)
    if amount <= 0:
        raise ValidationFailed(
            _("Invoice %(n)s has nothing left to pay.") % {"n": invoice.number},
            code="invoice_nothing_open",
            fields={"invoice": invoice.pk},
        )
    now = c.now()
    existing = (
        PaymentLink.objects.filter(
            invoice=invoice, provider=adapter.code, status__in=REUSABLE, amount=amount
        )
        .exclude(expires_at__lt=now + dt.timedelta(hours=1))
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing, False
    hours = int(settings.PAYMENT_PROVIDERS.get("LINK_VALIDITY_HOURS", 72))
    link = PaymentLink.objects.create(
        reference=f"od{secrets.token_hex(10)}",
        provider=adapter.code,
        invoice=invoice,
        order=order,
        customer=invoice.customer,
        amount=amount,
        currency_id=invoice.currency_id,
        expires_at=now + dt.timedelta(hours=hours),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    c.history(order, by, [c.entry("payments.link.requested", link, **link_data(link))])
    return link, True


@atomic_with_retry
def _link_issued(*, by, pk: int, result: providers.LinkResult) -> PaymentLink:
    link = PaymentLink.objects.get(pk=pk)
    c.lock_order(link.order_id)
    link = PaymentLink.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=pk)
    before = link.status
    link.url = result.url
    link.provider_ref = result.provider_ref
    link.expires_at = result.expires_at or link.expires_at
    link.error_code = link.error_detail = ""
    if link.status in (LinkStatus.CREATING, LinkStatus.ERROR):
        link.status = LinkStatus.ACTIVE
    link.save()
    c.history(
        link.order_id,
        by,
        [
            c.status_entry(
                "payments.link.created", link, before, link.status, **link_data(link, url=link.url)
            )
        ],
    )
    return link


@atomic_with_retry
def _link_refused(*, by, pk: int, error: DomainError) -> PaymentLink:
    link = PaymentLink.objects.get(pk=pk)
    c.lock_order(link.order_id)
    link = PaymentLink.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=pk)
    before = link.status
    if link.status == LinkStatus.CREATING:
        link.status = LinkStatus.ERROR
    link.error_code = error.code
    link.error_detail = error.detail[:500]
    link.save()
    c.history(
        link.order_id,
        by,
        [
            c.status_entry(
                "payments.link.refused",
                link,
                before,
                link.status,
                **link_data(link, code=error.code, detail=error.detail),
            )
        ],
    )
    return link


def link_issue(*, by, link: PaymentLink) -> PaymentLink:
    """Ask the provider for the link's page (outside any transaction) and store the answer.
    Raises `provider_unavailable` / `provider_refused` (502) after recording the refusal."""
    adapter = providers.adapter(link.provider)
    PaymentLink.objects.filter(pk=link.pk).update(attempts=link.attempts + 1)
    try:
        result = adapter.create_link(link, description=description(link.invoice))
    except (providers.ProviderUnavailable, providers.ProviderRefused) as exc:
        _link_refused(by=by, pk=link.pk, error=exc)
        raise
    return _link_issued(by=by, pk=link.pk, result=result)


def payment_link_create(*, by, invoice: Any, provider: str) -> PaymentLink:
    """A payment link for the open amount of a posted invoice through `provider`.

    Rules: an accountant or administrator, or a seller who may edit the invoice's order
    (`payments_not_permitted`); a known invoice (`invoice_not_found`), posted
    (`invoice_not_posted`, 409) with something open (`invoice_nothing_open`); a known provider
    (`provider_unknown`, 404) with keys in the settings (`provider_not_configured`) that takes
    the invoice's currency (`currency_not_supported`). A link of the same provider for the same
    open amount that is still usable is returned instead of a new one. The provider's failure
    answers `provider_unavailable` or `provider_refused` (502); the link stays, in "error",
    and the status poll retries it.
    """
    link, fresh = _link_begin(by=by, invoice=invoice, provider=provider)
    if not fresh:
        return link
    return link_issue(by=by, link=link)
