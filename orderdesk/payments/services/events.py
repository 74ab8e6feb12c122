"""Provider events: webhooks and polled states, applied once.

The one rule: a provider event takes effect once. `event_apply` locks the link's order (and
then the link), inserts the unique (provider, event id) row and makes the effect in the SAME
transaction: a redelivery, a webhook racing a poll, or eight threads delivering the same event
find the row and change nothing. The effect follows the link's state table
(`choices.LINK_MOVES`), so out-of-order events are harmless: "processing" after "paid" changes
nothing, a success after a failure applies. A success whose amount or currency differs from
the link is held for review, not applied. A verified event dated before its link existed is
stale: nothing changes and a security event is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.billing.services import payment_create
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import DomainError

from .. import providers
from ..calculations import plan_allocation
from ..choices import (
    LINK_MOVES,
    EventOutcome,
    EventStatus,
    HoldReason,
    LinkStatus,
    SecurityKind,
    Via,
)
from ..models import PaymentHold, PaymentLink, ProviderEvent, SecurityEvent
from . import _common as c
from .links import link_data

CLOCK_SKEW = dt.timedelta(minutes=5)
DUPLICATE = "duplicate"
STALE = "stale"
PAYLOAD_LIMIT = 20_000


def security_event_record(
    *, kind: str, provider: str = "", detail: str = "", body: bytes = b"", remote_addr=None,
    path: str = "",
) -> SecurityEvent:  # fmt: skip
    """Log a refused delivery to `orderdesk.security` and keep a row of it (own transaction)."""
    digest = hashlib.sha256(body).hexdigest() if body else ""
    c.security_log.warning(
        "payment webhook refused: %s",
        kind,
        extra={
            "security": {
                "kind": kind,
                "provider": provider,
                "remote_addr": remote_addr,
                "detail": detail,
                "body_sha256": digest,
            }
        },
    )
    if kind not in SecurityKind.values:
        kind = SecurityKind.SIGNATURE_INVALID
    return SecurityEvent.objects.create(
        kind=kind,
        provider=provider[:32],
        remote_addr=remote_addr or None,
        path=path[:255],
        detail=detail[:500],
        body_sha256=digest,
        body_size=len(body),
    )


def find_link(provider: str, event: providers.ProviderEventData) -> PaymentLink | None:
    q = Q()
    if event.reference:
        q |= Q(reference=event.reference)
    if event.provider_ref:
        q |= Q(provider_ref=event.provider_ref)
    if event.payment_id:
        q |= Q(provider_payment_id=event.payment_id)
    if not q:
        return None
    return PaymentLink.objects.filter(q, provider=provider).order_by("pk").first()


def is_stale(link: PaymentLink, event: providers.ProviderEventData) -> bool:
    """An event about a state the link had before it existed cannot be genuine for it."""
    return event.occurred_at is not None and event.occurred_at < link.created_at - CLOCK_SKEW


def _payload(event: providers.ProviderEventData) -> dict[str, Any]:
    from orderdesk.audit.services import jsonable

    data = jsonable(event.payload)
    return data if len(str(data)) <= PAYLOAD_LIMIT else {"truncated": True}


def _dedup(provider: str, event, via: str, link: PaymentLink | None) -> ProviderEvent | None:
    """The (provider, event id) row, or None when it is there already (a redelivery)."""
    try:
        with transaction.atomic():
            return ProviderEvent.objects.create(
                provider=provider,
                event_id=event.event_id[:190],
                link=link,
                status=event.status,
                provider_status=event.provider_status[:64],
                reference=(event.reference or event.provider_ref)[:128],
                payment_id=event.payment_id[:128],
                amount=event.amount,
                currency=event.currency[:3],
                occurred_at=event.occurred_at,
                via=via,
                outcome=EventOutcome.IGNORED,
                payload=_payload(event),
            )
    except IntegrityError:
        return None


def _hold(
    *, by, row: ProviderEvent, link: PaymentLink | None, reason: str, detail: str
) -> PaymentHold:
    hold = PaymentHold.objects.create(
        provider=row.provider,
        event=row,
        link=link,
        invoice_id=link.invoice_id if link else None,
        order_id=link.order_id if link else None,
        customer_id=link.customer_id if link else None,
        amount=row.amount,
        currency=row.currency,
        provider_payment_id=row.payment_id,
        reason=reason,
        detail=detail[:500],
    )
    if link is not None:
        c.history(
            link.order_id,
            by,
            [
                c.entry(
                    "payments.hold.created",
                    hold,
                    reason=reason,
                    detail=detail,
                    amount=row.amount,
                    currency=row.currency,
                    link=link.reference,
                )
            ],
        )
    else:
        c.log.warning("payment for an unknown link held: %s %s", row.provider, row.event_id)
    return hold


def _record_payment(*, by, link: PaymentLink, event: providers.ProviderEventData):
    """Register the payment through billing and allocate it to the link's invoice (what the
    invoice no longer has open stays as the customer's credit on the order)."""
    invoice = link.invoice
    plan = plan_allocation(
        [(i.pk, i.open_amount) for i in c.open_debits(invoice=invoice)], event.amount
    )
    moment = event.occurred_at or c.now()
    label = providers.ADAPTERS[link.provider].label
    return payment_create(
        by=by,
        customer=link.customer_id,
        order=link.order_id,
        amount=event.amount,
        currency=link.currency_id,
        payment_date=timezone.localdate(max(moment, link.created_at)),
        purpose=f"{label}: {invoice.number} ({link.reference})",
        bank_reference=f"{link.provider}:{event.payment_id or link.reference}"[:64],
        allocations=plan,
    )


def _effect(*, by, link: PaymentLink, row: ProviderEvent, event) -> tuple[str, str]:
    status = event.status
    before = link.status
    if status == EventStatus.REFUNDED:
        if link.status != LinkStatus.PAID:
            return EventOutcome.IGNORED, _("A refund of a link that is not paid.")
        _hold(
            by=by,
            row=row,
            link=link,
            reason=HoldReason.REFUND_REPORTED,
            detail=_("%(p)s reports a refund; reverse the payment by hand if it stands.")
            % {"p": providers.ADAPTERS[link.provider].label},
        )
        return EventOutcome.HELD, HoldReason.REFUND_REPORTED
    if status == EventStatus.SUCCESS:
        if link.status in (LinkStatus.PAID, LinkStatus.HELD):
            other = event.payment_id and link.provider_payment_id not in ("", event.payment_id)
            if other:
                _hold(
                    by=by,
                    row=row,
                    link=link,
                    reason=HoldReason.SECOND_PAYMENT,
                    detail=_("Payment %(p)s for a link paid by %(q)s.")
                    % {"p": event.payment_id, "q": link.provider_payment_id},
                )
                return EventOutcome.HELD, HoldReason.SECOND_PAYMENT
            return EventOutcome.IGNORED, _("The link is %(s)s already.") % {"s": link.status}
        reason = ""
        if event.currency != link.currency_id:
            reason = HoldReason.CURRENCY_MISMATCH
            detail = _("Paid in %(g)s, the link asks for %(w)s.") % {
                "g": event.currency or "?",
                "w": link.currency_id,
            }
        elif event.amount != link.amount:
            reason = HoldReason.AMOUNT_MISMATCH
            detail = _("Paid %(g)s, the link asks for %(w)s.") % {
                "g": event.amount,
                "w": link.amount,
            }
        elif c.open_amount(link.invoice) < event.amount:
            # paid meanwhile by another way: whether to refund or keep it as credit is a
            # person's decision
            reason = HoldReason.OVERPAYMENT
            detail = _("Paid %(g)s, invoice %(n)s has %(o)s open now.") % {
                "g": event.amount,
                "n": link.invoice.number,
                "o": c.open_amount(link.invoice),
            }
        payment = None
        if not reason:
            try:
                with transaction.atomic():
                    payment = _record_payment(by=by, link=link, event=event)
            except DomainError as exc:
                reason = HoldReason.NOT_RECORDED
                detail = f"{exc.code}: {exc.detail}"
        link.provider_payment_id = (event.payment_id or link.provider_payment_id)[:128]
        if reason:
            _hold(by=by, row=row, link=link, reason=reason, detail=detail)
            link.status = LinkStatus.HELD
            link.save(update_fields=["status", "provider_payment_id", "updated_at"])
            return EventOutcome.HELD, reason
        link.status = LinkStatus.PAID
        link.payment = payment
        link.paid_at = event.occurred_at or c.now()
        link.save(
            update_fields=["status", "payment", "paid_at", "provider_payment_id", "updated_at"]
        )
        c.history(
            link.order_id,
            by,
            [
                c.status_entry(
                    "payments.link.paid",
                    link,
                    before,
                    link.status,
                    **link_data(link, payment=payment.number, event=row.event_id, via=row.via),
                )
            ],
        )
        return EventOutcome.APPLIED, ""
    target = LINK_MOVES.get(status, {}).get(link.status)
    if target is None or target == link.status:
        return EventOutcome.IGNORED, _("%(e)s changes nothing for a link that is %(s)s.") % {
            "e": status,
            "s": link.status,
        }
    link.status = target
    link.save(update_fields=["status", "updated_at"])
    c.history(
        link.order_id,
        by,
        [
            c.status_entry(
                f"payments.link.{target}",
                link,
                before,
                target,
                **link_data(
                    link, event=row.event_id, via=row.via, provider_status=row.provider_status
                ),
            )
        ],
    )
    return EventOutcome.APPLIED, ""


@atomic_with_retry
def _apply(*, by, provider: str, event, via: str) -> str:
    link = find_link(provider, event)
    if link is None:
        row = _dedup(provider, event, via, None)
        if row is None:
            return DUPLICATE
        row.outcome = EventOutcome.UNKNOWN_REFERENCE
        if event.status == EventStatus.SUCCESS:
            _hold(
                by=by,
                row=row,
                link=None,
                reason=HoldReason.REFERENCE_UNKNOWN,
                detail=_("No payment link “%(r)s”.") % {"r": event.reference or event.provider_ref},
            )
        row.save(update_fields=["outcome"])
        return row.outcome
    if is_stale(link, event):
        return STALE
    c.lock_order(link.order_id)
    link = (
        PaymentLink.objects.select_for_update(of=("self",))
        .select_related("invoice")
        .get(pk=link.pk)
    )
    row = _dedup(provider, event, via, link)
    if row is None:
        return DUPLICATE
    outcome, detail = _effect(by=by, link=link, row=row, event=event)
    row.outcome, row.detail = outcome, str(detail)[:255]
    row.save(update_fields=["outcome", "detail"])
    return outcome


def event_apply(
    *, provider: str, event: providers.ProviderEventData, via: str = Via.WEBHOOK
) -> str:
    """Apply one verified provider event once; the webhook and the poll both come here.

    Returns the outcome: `applied`, `ignored` (changes nothing in the link's state), `held`
    (waits for review: amount or currency differs, a second payment, a refund, billing
    refused it), `unknown_reference` (no such link; a success is held), `duplicate` (seen
    before), `stale` (dated before the link existed: nothing written).
    """
    return _apply(by=c.system_user(), provider=provider, event=event, via=via)


def webhook_receive(
    *, provider: str, body: bytes, headers, remote_addr: str | None = None, path: str = ""
) -> list[str]:
    """Verify a webhook delivery and apply its events; returns their outcomes.

    A delivery that does not verify raises `WebhookRejected` — `signature_missing`,
    `signature_invalid` (401), `event_stale`, `event_malformed` (400) — and an unknown provider
    `provider_unknown` (404), each after a security event is recorded; nothing else changes.
    A provider that cannot be asked for its key answers `provider_unavailable` (502), so the
    provider delivers again later.
    """

    def refuse(exc: DomainError, kind: str):
        security_event_record(
            kind=kind,
            provider=provider,
            detail=exc.detail,
            body=body,
            remote_addr=remote_addr,
            path=path,
        )
        return exc

    try:
        adapter = providers.adapter(provider)
    except providers.ProviderUnknown as exc:
        raise refuse(exc, SecurityKind.PROVIDER_UNKNOWN) from None
    except providers.ProviderNotConfigured as exc:
        raise refuse(exc, SecurityKind.SIGNATURE_INVALID) from None
    try:
        events = adapter.parse_webhook(body, headers)
    except providers.WebhookRejected as exc:
        raise refuse(exc, exc.code) from None
    outcomes = []
    for event in events:
        outcome = event_apply(provider=adapter.code, event=event, via=Via.WEBHOOK)
        if outcome == STALE:
            exc = providers.WebhookRejected(
                _("The event is dated before its payment link was made."),
                code="event_stale",
                status=400,
            )
            raise refuse(exc, SecurityKind.EVENT_STALE)
        outcomes.append(outcome)
    return outcomes
