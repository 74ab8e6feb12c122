"""Status polling: the fallback when a webhook was lost.

`poll_payment_links` asks each provider for the state of the links still waiting and hands
every answer to the same `event_apply` with the same dedup key a webhook would have (LiqPay:
payment id + status; monobank: invoice + status + modifiedDate; Stripe: the event id from its
Events API). Links stuck in "creating" or "error" are issued again; links past their expiry
that the provider still calls unpaid are expired here (a local event, once).
Run by `orderdesk poll_payment_links` (cron, every few minutes).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import F

from orderdesk.core.errors import DomainError

from .. import providers
from ..choices import OPEN_LINK_STATES, EventStatus, LinkStatus, Via
from ..models import PaymentLink
from . import _common as c
from .events import event_apply
from .links import link_issue

RESUME_AFTER = dt.timedelta(minutes=2)
EXPIRY_GRACE = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5


@dataclass
class PollResult:
    polled: int = 0
    outcomes: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    resumed: int = 0
    expired: int = 0


def poll_payment_links(*, provider: str | None = None, limit: int = 200) -> PollResult:
    """Poll the providers for the links still waiting (oldest poll first, at most `limit`).
    Never inside a transaction: every provider call is followed by its own short one."""
    result = PollResult()
    by = c.system_user()
    now = c.now()
    qs = PaymentLink.objects.filter(status__in=(*OPEN_LINK_STATES, LinkStatus.ERROR))
    if provider:
        qs = qs.filter(provider=provider)
    links = list(
        qs.select_related("invoice", "invoice__order").order_by(
            F("last_polled_at").asc(nulls_first=True), "pk"
        )[:limit]
    )
    grouped: dict[str, list[PaymentLink]] = defaultdict(list)
    for link in links:
        grouped[link.provider].append(link)
    for code, group in grouped.items():
        try:
            adapter = providers.adapter(code)
        except DomainError as exc:
            result.errors.append(f"{code}: {exc.code}")
            continue
        waiting = []
        for link in group:
            unissued = link.status in (LinkStatus.CREATING, LinkStatus.ERROR) and not link.url
            if unissued:
                if now - link.created_at >= RESUME_AFTER and link.attempts < MAX_ATTEMPTS:
                    try:
                        link_issue(by=by, link=link)
                        result.resumed += 1
                    except DomainError as exc:
                        result.errors.append(f"{link.reference}: {exc.code}")
                continue
            waiting.append(link)
        batches = [waiting] if code == "stripe" else [[link] for link in waiting]
        for batch in batches:
            if not batch:
                continue
            try:
                events = adapter.poll(batch)
            except DomainError as exc:
                result.errors.append(f"{code}: {exc.code}")
                continue
            result.polled += len(batch)
            for event in events:
                result.outcomes[event_apply(provider=code, event=event, via=Via.POLL)] += 1
        PaymentLink.objects.filter(pk__in=[link.pk for link in waiting]).update(last_polled_at=now)
        result.expired += _expire_overdue(code, [link.pk for link in waiting], now)
    return result


def _expire_overdue(code: str, ids: list[int], now: dt.datetime) -> int:
    expired = 0
    overdue = PaymentLink.objects.filter(
        pk__in=ids,
        status__in=(LinkStatus.ACTIVE, LinkStatus.FAILED),
        expires_at__lt=now - EXPIRY_GRACE,
    )
    for link in overdue:
        event = providers.ProviderEventData(
            event_id=f"local:{link.reference}:expired",
            status=EventStatus.EXPIRED,
            provider_status="expired_locally",
            reference=link.reference,
            occurred_at=now,
        )
        if event_apply(provider=code, event=event, via=Via.LOCAL) == "applied":
            expired += 1
    return expired
