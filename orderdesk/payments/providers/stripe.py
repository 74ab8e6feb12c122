"""Stripe Checkout.

- Create: POST `{base}/v1/checkout/sessions` (form-encoded, `Authorization: Bearer` with the
  secret key, `Idempotency-Key` = our link reference, so a retried creation returns the same
  session); answers the session `id` and its `url`. Our reference travels as
  `client_reference_id` and in `metadata`. A session lives 30 minutes to 24 hours.
- Webhook: the `Stripe-Signature` header `t=<unix time>,v1=<hex>[,v1=..]`; v1 is
  HMAC-SHA256 of "{t}.{raw body}" with the endpoint secret. A timestamp older than the
  tolerance (300 s) is refused as stale. Verified here with `hmac`, not the stripe package.
- Poll: the Events API (`GET {base}/v1/events`), which gives the very events the webhook
  would have delivered, with their ids: a polled event and a webhook are recorded once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ..calculations import from_minor, to_minor
from ..choices import EventStatus
from .base import (
    LinkResult,
    ProviderEventData,
    ProviderRefused,
    conf,
    event_malformed,
    event_stale,
    http,
    provider_conf,
    return_url,
    signature_invalid,
    signature_missing,
)

SESSION_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
MAX_SESSION = dt.timedelta(hours=23, minutes=55)
MIN_SESSION = dt.timedelta(minutes=31)
POLL_PAGES = 10


class Stripe:
    code = "stripe"
    label = "Stripe"
    currencies = frozenset({"UAH", "USD", "EUR", "PLN", "GBP"})

    @property
    def conf(self) -> dict[str, Any]:
        return provider_conf(self.code)

    def configured(self) -> bool:
        return bool(self.conf.get("SECRET_KEY") and self.conf.get("WEBHOOK_SECRET"))

    @property
    def base(self) -> str:
        return self.conf["BASE_URL"].rstrip("/")

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.conf['SECRET_KEY']}", **extra}

    def session_expiry(self, expires_at: dt.datetime | None) -> dt.datetime:
        now = dt.datetime.now(dt.UTC)
        wanted = expires_at or now + MAX_SESSION
        return min(max(wanted, now + MIN_SESSION), now + MAX_SESSION)

    # --- link -------------------------------------------------------------------------------

    def create_link(self, link, *, description: str) -> LinkResult:
        expires = self.session_expiry(link.expires_at)
        form = {
            "mode": "payment",
            "client_reference_id": link.reference,
            "metadata[orderdesk_link]": link.reference,
            "payment_intent_data[metadata][orderdesk_link]": link.reference,
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": link.currency_id.lower(),
            "line_items[0][price_data][unit_amount]": str(to_minor(link.amount)),
            "line_items[0][price_data][product_data][name]": description[:250],
            "success_url": return_url(link.reference),
            "cancel_url": return_url(link.reference),
            "expires_at": str(int(expires.timestamp())),
        }
        answer = http(
            "POST",
            f"{self.base}/v1/checkout/sessions",
            provider=self.label,
            headers=self.headers(**{"Idempotency-Key": link.reference}),
            data=form,
        )
        if not answer.get("id") or not answer.get("url"):
            raise ProviderRefused(_("Stripe answered without a session id or a page."))
        return LinkResult(url=answer["url"], provider_ref=answer["id"], expires_at=expires)

    # --- webhook ----------------------------------------------------------------------------

    def secrets(self) -> list[str]:
        return [s.strip() for s in self.conf["WEBHOOK_SECRET"].split(",") if s.strip()]

    @staticmethod
    def signature(secret: str, timestamp: str, body: bytes) -> str:
        signed = timestamp.encode() + b"." + body
        return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()

    def verify(self, body: bytes, header: str, *, now: float | None = None) -> None:
        if not header:
            raise signature_missing(_("The webhook has no Stripe-Signature header."))
        timestamp, given = "", []
        for part in header.split(","):
            key, _sep, value = part.strip().partition("=")
            if key == "t":
                timestamp = value
            elif key == "v1":
                given.append(value)
        if not timestamp or not given:
            raise signature_missing(_("Stripe-Signature has no timestamp or no v1 signature."))
        expected = [self.signature(secret, timestamp, body) for secret in self.secrets()]
        if not any(hmac.compare_digest(e, g) for e in expected for g in given):
            raise signature_invalid(_("The Stripe signature does not match."))
        try:
            moment = int(timestamp)
        except ValueError:
            raise signature_invalid(_("The Stripe timestamp is not a number.")) from None
        tolerance = int(conf().get("WEBHOOK_TOLERANCE", 300))
        if moment < (now if now is not None else time.time()) - tolerance:
            raise event_stale(
                _("The Stripe event was signed more than %(s)s seconds ago.") % {"s": tolerance}
            )

    def parse_webhook(self, body: bytes, headers) -> list[ProviderEventData]:
        self.verify(body, headers.get("Stripe-Signature", ""))
        try:
            event = json.loads(body)
        except ValueError:
            raise event_malformed(_("The webhook body is not JSON.")) from None
        if not isinstance(event, dict) or event.get("object") != "event":
            raise event_malformed(_("The webhook body is not a Stripe event."))
        return [self.event_from(event)]

    def event_from(self, event: dict[str, Any]) -> ProviderEventData:
        event_id = str(event.get("id") or "")
        kind = str(event.get("type") or "")
        obj = (event.get("data") or {}).get("object")
        if not event_id or not kind or not isinstance(obj, dict):
            raise event_malformed(_("The event has no id, type or object."))
        try:
            created = dt.datetime.fromtimestamp(int(event.get("created") or 0), tz=dt.UTC)
        except (TypeError, ValueError, OverflowError):
            raise event_malformed(_("The event time is not a timestamp.")) from None
        metadata = obj.get("metadata") or {}
        currency = str(obj.get("currency") or "").upper()
        amount: Decimal | None = None
        status = EventStatus.UNKNOWN
        reference, provider_ref = "", ""
        payment_id = str(obj.get("payment_intent") or "")
        try:
            if kind.startswith("checkout.session."):
                reference = str(
                    obj.get("client_reference_id") or metadata.get("orderdesk_link", "")
                )
                provider_ref = str(obj.get("id") or "")
                if obj.get("amount_total") is not None:
                    amount = from_minor(obj["amount_total"])
                payment_id = payment_id or provider_ref
                if kind in ("checkout.session.completed",):
                    paid = obj.get("payment_status") in ("paid", "no_payment_required")
                    status = EventStatus.SUCCESS if paid else EventStatus.PROCESSING
                elif kind == "checkout.session.async_payment_succeeded":
                    status = EventStatus.SUCCESS
                elif kind == "checkout.session.async_payment_failed":
                    status = EventStatus.FAILURE
                elif kind == "checkout.session.expired":
                    status = EventStatus.EXPIRED
            elif kind == "charge.refunded":
                reference = str(metadata.get("orderdesk_link", ""))
                status = EventStatus.REFUNDED
                if obj.get("amount_refunded") is not None:
                    amount = from_minor(obj["amount_refunded"])
        except (TypeError, ValueError, ArithmeticError):
            raise event_malformed(_("The amount is not a number.")) from None
        return ProviderEventData(
            event_id=event_id,
            status=status,
            provider_status=kind,
            reference=reference,
            provider_ref=provider_ref,
            payment_id=payment_id,
            amount=amount,
            currency=currency,
            occurred_at=created,
            payload=event,
        )

    # --- poll -------------------------------------------------------------------------------

    def poll(self, links) -> list[ProviderEventData]:
        links = [link for link in links if link.provider_ref]
        if not links:
            return []
        wanted = {link.provider_ref for link in links}
        since = min(link.created_at for link in links) - dt.timedelta(minutes=5)
        params: list[tuple[str, str]] = [("types[]", t) for t in SESSION_EVENTS]
        params += [("created[gte]", str(int(since.timestamp()))), ("limit", "100")]
        events: list[ProviderEventData] = []
        after = ""
        for _page in range(POLL_PAGES):
            answer = http(
                "GET",
                f"{self.base}/v1/events",
                provider=self.label,
                headers=self.headers(),
                params=params + ([("starting_after", after)] if after else []),
            )
            data = answer.get("data") or []
            for raw in data:
                obj = (raw.get("data") or {}).get("object") or {}
                if obj.get("id") in wanted:
                    events.append(self.event_from(raw))
            if not answer.get("has_more") or not data:
                break
            after = str(data[-1].get("id") or "")
        return events
