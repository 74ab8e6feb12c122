"""What every payment-service adapter shares: its settings, the event it hands over, its
errors and one HTTP helper with short timeouts.

Adapters speak the provider's protocol and nothing else: they never touch the database, so a
service can call them between two transactions (no external call inside a transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from orderdesk.core.errors import DomainError, NotFound, ValidationFailed

log = logging.getLogger("orderdesk.payments")


class ProviderUnknown(NotFound):
    code = "provider_unknown"


class ProviderNotConfigured(ValidationFailed):
    code = "provider_not_configured"


class ProviderUnavailable(DomainError):
    """The provider did not answer in time or could not be reached."""

    status = 502
    code = "provider_unavailable"


class ProviderRefused(DomainError):
    """The provider answered with an error (bad key, bad request)."""

    status = 502
    code = "provider_refused"


class WebhookRejected(DomainError):
    """A webhook delivery that is not taken: bad or missing signature (401), stale or
    malformed event (400). The caller records a security event; nothing else changes."""

    def __init__(self, detail: str = "", *, code: str, status: int = 401):
        super().__init__(detail, code=code)
        self.status = status


def signature_missing(detail: str) -> WebhookRejected:
    return WebhookRejected(detail, code="signature_missing", status=401)


def signature_invalid(detail: str) -> WebhookRejected:
    return WebhookRejected(detail, code="signature_invalid", status=401)


def event_stale(detail: str) -> WebhookRejected:
    return WebhookRejected(detail, code="event_stale", status=400)


def event_malformed(detail: str) -> WebhookRejected:
    return WebhookRejected(detail, code="event_malformed", status=400)


@dataclass
class ProviderEventData:
    """A provider's event as our services read it, whatever the protocol."""

    event_id: str
    status: str  # choices.EventStatus
    provider_status: str = ""
    reference: str = ""  # our link reference, when the provider echoes it
    provider_ref: str = ""  # the provider's id of the link (invoiceId, Checkout Session id)
    payment_id: str = ""  # the provider's id of the payment itself
    amount: Decimal | None = None
    currency: str = ""
    occurred_at: dt.datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class LinkResult:
    url: str
    provider_ref: str
    expires_at: dt.datetime | None = None


def conf() -> dict[str, Any]:
    return settings.PAYMENT_PROVIDERS


def provider_conf(code: str) -> dict[str, Any]:
    return conf().get(code) or {}


def public_url(path: str) -> str:
    return conf().get("PUBLIC_URL", "").rstrip("/") + path


def webhook_url(code: str) -> str:
    return public_url(reverse("payments:webhook", args=[code]))


def return_url(reference: str) -> str:
    return public_url(reverse("payments:return", args=[reference]))


def timeout() -> tuple[float, float]:
    # connect quickly or give up; a slow provider must not hold a web worker for long
    read = float(conf().get("TIMEOUT", 8))
    return (min(3.0, read), read)


def http(
    method: str,
    url: str,
    *,
    provider: str,
    headers: dict[str, str] | None = None,
    data: Any = None,
    json_body: Any = None,
    params: Any = None,
) -> dict[str, Any]:
    """Call the provider and return its JSON answer; `provider_unavailable` when it cannot be
    reached in time, `provider_refused` when it answers with an error or not with JSON."""
    try:
        response = requests.request(
            method,
            url,
            headers=headers,
            data=data,
            json=json_body,
            params=params,
            timeout=timeout(),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        log.warning("%s unreachable: %s", provider, exc.__class__.__name__)
        raise ProviderUnavailable(
            _("%(p)s did not answer (%(e)s); try again later.")
            % {"p": provider, "e": exc.__class__.__name__}
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict):
        message = ""
        if isinstance(body, dict):
            err = body.get("error")
            message = (
                err.get("message", "")
                if isinstance(err, dict)
                else str(body.get("errText") or body.get("err_description") or err or "")
            )
        raise ProviderRefused(
            _("%(p)s refused the request (HTTP %(s)s) %(m)s")
            % {"p": provider, "s": response.status_code, "m": message[:200]},
            fields={"status": response.status_code},
        )
    return body
