"""monobank acquiring (Plata by mono).

- Create: POST `{base}/api/merchant/invoice/create` with the `X-Token` header; the amount in
  kopiykas and `ccy` as the ISO 4217 number; answers `invoiceId` and `pageUrl`. Our link
  reference travels as `merchantPaymInfo.reference`.
- Webhook: POST of the invoice's state (JSON) to `webHookUrl`; the `X-Sign` header is the
  base64 ECDSA (SHA-256) signature of the raw body, checked with the merchant's public key
  from `{base}/api/merchant/pubkey` (base64 of a PEM). The key is cached; when a signature
  does not verify with a key older than a minute, the key is fetched once more (the bank
  rotates it).
- Status poll: GET `{base}/api/merchant/invoice/status?invoiceId=..`.

monobank sends no event id and may deliver out of order: an event is (invoice, status,
modifiedDate), the same in a webhook and in the status answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
import time
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.utils.translation import gettext as _

from ..calculations import CURRENCY_NUMBERS, NUMERIC_CURRENCIES, from_minor, to_minor
from ..choices import EventStatus
from .base import (
    LinkResult,
    ProviderEventData,
    ProviderRefused,
    event_malformed,
    http,
    provider_conf,
    return_url,
    signature_invalid,
    signature_missing,
    webhook_url,
)

STATUSES = {
    "created": EventStatus.UNKNOWN,
    "processing": EventStatus.PROCESSING,
    "hold": EventStatus.PROCESSING,
    "success": EventStatus.SUCCESS,
    "failure": EventStatus.FAILURE,
    "reversed": EventStatus.REFUNDED,
    "expired": EventStatus.EXPIRED,
}
KEY_REFRESH_AFTER = 60  # seconds: a forged flood must not make us fetch the key every time

_keys: dict[tuple[str, str], tuple[ec.EllipticCurvePublicKey, float]] = {}
_keys_lock = threading.Lock()


def parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise event_malformed(_("The date is not ISO 8601.")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Monobank:
    code = "monobank"
    label = "monobank"
    currencies = frozenset({"UAH", "USD", "EUR"})

    @property
    def conf(self) -> dict[str, Any]:
        return provider_conf(self.code)

    def configured(self) -> bool:
        return bool(self.conf.get("TOKEN"))

    @property
    def base(self) -> str:
        return self.conf["BASE_URL"].rstrip("/")

    def headers(self) -> dict[str, str]:
        return {"X-Token": self.conf["TOKEN"]}

    # --- link -------------------------------------------------------------------------------

    def create_link(self, link, *, description: str) -> LinkResult:
        body: dict[str, Any] = {
            "amount": to_minor(link.amount),
            "ccy": CURRENCY_NUMBERS[link.currency_id],
            "merchantPaymInfo": {"reference": link.reference, "destination": description[:280]},
            "redirectUrl": return_url(link.reference),
            "webHookUrl": webhook_url(self.code),
        }
        if link.expires_at is not None:
            seconds = int((link.expires_at - dt.datetime.now(dt.UTC)).total_seconds())
            body["validity"] = max(60, seconds)
        answer = http(
            "POST",
            f"{self.base}/api/merchant/invoice/create",
            provider=self.label,
            headers=self.headers(),
            json_body=body,
        )
        if not answer.get("invoiceId") or not answer.get("pageUrl"):
            raise ProviderRefused(_("monobank answered without an invoice id or a page."))
        return LinkResult(
            url=answer["pageUrl"], provider_ref=str(answer["invoiceId"]), expires_at=link.expires_at
        )

    # --- webhook ----------------------------------------------------------------------------

    def public_key(self, *, refresh: bool = False) -> tuple[ec.EllipticCurvePublicKey, float]:
        cache_key = (self.base, self.conf["TOKEN"])
        with _keys_lock:
            cached = _keys.get(cache_key)
        if cached and not refresh:
            return cached
        answer = http(
            "GET", f"{self.base}/api/merchant/pubkey", provider=self.label, headers=self.headers()
        )
        try:
            pem = base64.b64decode(answer["key"])
            key = load_pem_public_key(pem)
        except (KeyError, ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
            raise ProviderRefused(_("monobank's public key could not be read.")) from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ProviderRefused(_("monobank's public key is not an EC key."))
        entry = (key, time.monotonic())
        with _keys_lock:
            _keys[cache_key] = entry
        return entry

    def verify(self, body: bytes, signature: bytes) -> None:
        key, fetched = self.public_key()
        for attempt in (1, 2):
            try:
                key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
                return
            except InvalidSignature:
                if attempt == 2 or time.monotonic() - fetched < KEY_REFRESH_AFTER:
                    break
                key, fetched = self.public_key(refresh=True)
        raise signature_invalid(_("The monobank X-Sign signature does not verify."))

    def parse_webhook(self, body: bytes, headers) -> list[ProviderEventData]:
        sign = headers.get("X-Sign", "")
        if not sign:
            raise signature_missing(_("The webhook has no X-Sign header."))
        try:
            signature = base64.b64decode(sign, validate=True)
        except (binascii.Error, ValueError):
            raise signature_invalid(_("X-Sign is not base64.")) from None
        self.verify(body, signature)
        try:
            payload = json.loads(body)
        except ValueError:
            raise event_malformed(_("The webhook body is not JSON.")) from None
        if not isinstance(payload, dict):
            raise event_malformed(_("The webhook body is not an object."))
        return [self.event_from(payload)]

    def event_from(self, payload: dict[str, Any]) -> ProviderEventData:
        invoice_id = str(payload.get("invoiceId") or "")
        status = str(payload.get("status") or "")
        if not invoice_id or not status:
            raise event_malformed(_("The event names no invoice or no status."))
        modified = payload.get("modifiedDate") or payload.get("createdDate") or ""
        raw_amount = payload.get("finalAmount")
        if raw_amount in (None, 0) or status != "success":
            raw_amount = payload.get("amount", raw_amount)
        try:
            amount = from_minor(raw_amount) if raw_amount is not None else None
            ccy = int(payload.get("ccy") or 980)
        except (TypeError, ValueError, ArithmeticError):
            raise event_malformed(_("The amount or currency is not a number.")) from None
        return ProviderEventData(
            event_id=f"{invoice_id}:{status}:{modified}",
            status=STATUSES.get(status, EventStatus.UNKNOWN),
            provider_status=status,
            reference=str(payload.get("reference") or ""),
            provider_ref=invoice_id,
            payment_id=invoice_id,
            amount=amount,
            currency=NUMERIC_CURRENCIES.get(ccy, str(ccy)[:3]),
            occurred_at=parse_time(modified),
            payload=payload,
        )

    # --- status poll ------------------------------------------------------------------------

    def poll(self, links) -> list[ProviderEventData]:
        events = []
        for link in links:
            if not link.provider_ref:
                continue
            answer = http(
                "GET",
                f"{self.base}/api/merchant/invoice/status",
                provider=self.label,
                headers=self.headers(),
                params={"invoiceId": link.provider_ref},
            )
            answer.setdefault("invoiceId", link.provider_ref)
            events.append(self.event_from(answer))
        return events
