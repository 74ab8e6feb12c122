"""The payment-service adapters by code: `adapter("liqpay")`, `configured()`."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .base import (
    LinkResult,
    ProviderEventData,
    ProviderNotConfigured,
    ProviderRefused,
    ProviderUnavailable,
    ProviderUnknown,
    WebhookRejected,
)
from .liqpay import LiqPay
from .monobank import Monobank
from .stripe import Stripe

ADAPTERS = {a.code: a for a in (LiqPay(), Monobank(), Stripe())}


def adapter(code: str, *, require_configured: bool = True):
    """The adapter of `code` (`provider_unknown`), switched on by its keys in settings
    (`provider_not_configured`)."""
    found = ADAPTERS.get(str(code or ""))
    if found is None:
        raise ProviderUnknown(
            _("No payment service “%(p)s”.") % {"p": code}, fields={"provider": str(code)}
        )
    if require_configured and not found.configured():
        raise ProviderNotConfigured(
            _("%(p)s is not set up (no keys in the settings).") % {"p": found.label},
            fields={"provider": found.code},
        )
    return found


def configured() -> list:
    return [a for a in ADAPTERS.values() if a.configured()]


__all__ = [
    "ADAPTERS",
    "LinkResult",
    "ProviderEventData",
    "ProviderNotConfigured",
    "ProviderRefused",
    "ProviderUnavailable",
    "ProviderUnknown",
    "WebhookRejected",
    "adapter",
    "configured",
]
