"""LiqPay (API version 3).

- Every request and callback carries `data` = base64(JSON of the parameters) and `signature`
  = base64(sha1(private_key + data + private_key)).
- The checkout link is `{base}/api/3/checkout?data=..&signature=..`: no call is needed to
  make it; `order_id` is our link reference.
- The callback is a form POST of `data` and `signature` to `server_url`.
- Status poll: POST `{base}/api/request` with `action=status` and the `order_id`.

LiqPay sends no event id: the event is (payment id, status), the same in the callback and in
the status answer, so a poll and a webhook about one state are recorded once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

from django.utils.translation import gettext as _

from ..choices import EventStatus
from .base import (
    LinkResult,
    ProviderEventData,
    event_malformed,
    http,
    provider_conf,
    return_url,
    signature_invalid,
    signature_missing,
    webhook_url,
)

PROCESSING = {
    "processing", "prepared", "wait_secure", "wait_accept", "wait_lc", "hold_wait",
    "3ds_verify", "otp_verify", "cvv_verify", "captcha_verify", "ivr_verify",
    "password_verify", "phone_verify", "pin_verify", "receiver_verify", "sender_verify",
    "senderapp_verify", "wait_qr", "wait_sender", "wait_card", "wait_compensation",
    "invoice_wait", "cash_wait", "p24_verify", "mp_verify",
}  # fmt: skip
STATUSES = {
    "success": EventStatus.SUCCESS,
    "failure": EventStatus.FAILURE,
    "error": EventStatus.FAILURE,
    "try_again": EventStatus.FAILURE,
    "reversed": EventStatus.REFUNDED,
    "expired": EventStatus.EXPIRED,
}
NOT_FOUND = {"payment_not_found", "order_not_found", "order_id_not_found"}


class LiqPay:
    code = "liqpay"
    label = "LiqPay"
    currencies = frozenset({"UAH", "USD", "EUR"})

    @property
    def conf(self) -> dict[str, Any]:
        return provider_conf(self.code)

    def configured(self) -> bool:
        return bool(self.conf.get("PUBLIC_KEY") and self.conf.get("PRIVATE_KEY"))

    # --- signing ----------------------------------------------------------------------------

    def sign(self, data: str) -> str:
        key = self.conf["PRIVATE_KEY"]
        digest = hashlib.sha1((key + data + key).encode()).digest()
        return base64.b64encode(digest).decode()

    def encode(self, params: dict[str, Any]) -> tuple[str, str]:
        data = base64.b64encode(
            json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode()
        ).decode()
        return data, self.sign(data)

    # --- link -------------------------------------------------------------------------------

    def create_link(self, link, *, description: str) -> LinkResult:
        expires = link.expires_at
        params: dict[str, Any] = {
            "version": 3,
            "public_key": self.conf["PUBLIC_KEY"],
            "action": "pay",
            # LiqPay takes a JSON number; a two-decimal amount is exact as a float here
            "amount": float(link.amount),
            "currency": link.currency_id,
            "description": description[:255],
            "order_id": link.reference,
            "server_url": webhook_url(self.code),
            "result_url": return_url(link.reference),
            "language": "uk",
        }
        if expires is not None:
            params["expired_date"] = expires.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        if self.conf.get("SANDBOX"):
            params["sandbox"] = "1"
        data, signature = self.encode(params)
        base = self.conf["BASE_URL"].rstrip("/")
        url = f"{base}/api/3/checkout?" + urlencode({"data": data, "signature": signature})
        return LinkResult(url=url, provider_ref=link.reference, expires_at=expires)

    # --- callback ---------------------------------------------------------------------------

    def parse_webhook(self, body: bytes, headers) -> list[ProviderEventData]:
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=False)
        except UnicodeDecodeError:
            raise signature_missing(_("The callback is not a form.")) from None
        data = (form.get("data") or [""])[0]
        signature = (form.get("signature") or [""])[0]
        if not data or not signature:
            raise signature_missing(_("The callback has no data or no signature."))
        if not hmac.compare_digest(self.sign(data).encode(), signature.encode()):
            raise signature_invalid(_("The LiqPay signature does not match."))
        try:
            payload = json.loads(base64.b64decode(data, validate=True), parse_float=Decimal)
        except (ValueError, TypeError):
            raise event_malformed(_("The callback data is not base64 JSON.")) from None
        if not isinstance(payload, dict):
            raise event_malformed(_("The callback data is not an object."))
        if payload.get("public_key") not in (None, self.conf["PUBLIC_KEY"]):
            raise signature_invalid(_("The callback is for another LiqPay shop."))
        return [self.event_from(payload)]

    def event_from(self, payload: dict[str, Any]) -> ProviderEventData:
        status = str(payload.get("status") or "")
        if status == "sandbox":
            meaning = EventStatus.SUCCESS if self.conf.get("SANDBOX") else EventStatus.UNKNOWN
        elif status in PROCESSING:
            meaning = EventStatus.PROCESSING
        else:
            meaning = STATUSES.get(status, EventStatus.UNKNOWN)
        order_id = str(payload.get("order_id") or "")
        payment_id = str(payload.get("payment_id") or "")
        if not order_id or not status:
            raise event_malformed(_("The callback names no order or no status."))
        amount = payload.get("amount")
        try:
            amount = Decimal(str(amount)) if amount is not None else None
        except ArithmeticError:
            raise event_malformed(_("The amount is not a number.")) from None
        millis = payload.get("end_date") or payload.get("create_date")
        occurred = None
        if millis:
            try:
                occurred = dt.datetime.fromtimestamp(int(millis) / 1000, tz=dt.UTC)
            except (TypeError, ValueError, OverflowError):
                raise event_malformed(_("The date is not a timestamp.")) from None
        return ProviderEventData(
            event_id=f"{payment_id or order_id}:{status}",
            status=meaning,
            provider_status=status,
            reference=order_id,
            provider_ref=order_id,
            payment_id=payment_id,
            amount=amount,
            currency=str(payload.get("currency") or "").upper(),
            occurred_at=occurred,
            payload=payload,
        )

    # --- status poll ------------------------------------------------------------------------

    def poll(self, links) -> list[ProviderEventData]:
        events = []
        base = self.conf["BASE_URL"].rstrip("/")
        for link in links:
            data, signature = self.encode(
                {
                    "action": "status",
                    "version": 3,
                    "public_key": self.conf["PUBLIC_KEY"],
                    "order_id": link.reference,
                }
            )
            answer = http(
                "POST",
                f"{base}/api/request",
                provider=self.label,
                data={"data": data, "signature": signature},
            )
            refused = answer.get("result") == "error" or answer.get("status") == "error"
            if refused and (answer.get("err_code") in NOT_FOUND or not answer.get("payment_id")):
                continue  # the customer has not paid yet
            answer = {k: v for k, v in answer.items() if k != "result"}
            answer.setdefault("order_id", link.reference)
            answer = json.loads(json.dumps(answer, default=str), parse_float=Decimal)
            events.append(self.event_from(answer))
        return events
