"""States and codes of payment links, provider events, holds and intermediaries' payouts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.TextChoices):
    LIQPAY = "liqpay", "LiqPay"
    MONOBANK = "monobank", "monobank"
    STRIPE = "stripe", "Stripe"


class LinkStatus(models.TextChoices):
    CREATING = "creating", _("Being created")
    ACTIVE = "active", _("Waiting for the customer")
    PROCESSING = "processing", _("Payment in progress")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    EXPIRED = "expired", _("Expired")
    HELD = "held", _("Held for review")
    ERROR = "error", _("Not created (provider error)")


# what a provider's status means for us (each adapter maps its own statuses onto these)
class EventStatus(models.TextChoices):
    PROCESSING = "processing", _("in progress")
    SUCCESS = "success", _("paid")
    FAILURE = "failure", _("failed")
    EXPIRED = "expired", _("expired")
    REFUNDED = "refunded", _("refunded")
    UNKNOWN = "unknown", _("not relevant")


# the link's state after an event of the given status, from each state; a pair not listed
# changes nothing (a "processing" after "paid", a failure after a success): out-of-order and
# late events are harmless by this table, and a success applies from any state but paid/held
LINK_MOVES: dict[str, dict[str, str]] = {
    EventStatus.PROCESSING: {
        LinkStatus.CREATING: LinkStatus.PROCESSING,
        LinkStatus.ACTIVE: LinkStatus.PROCESSING,
        LinkStatus.FAILED: LinkStatus.PROCESSING,
        LinkStatus.ERROR: LinkStatus.PROCESSING,
    },
    EventStatus.SUCCESS: {
        LinkStatus.CREATING: LinkStatus.PAID,
        LinkStatus.ACTIVE: LinkStatus.PAID,
        LinkStatus.PROCESSING: LinkStatus.PAID,
        LinkStatus.FAILED: LinkStatus.PAID,
        LinkStatus.EXPIRED: LinkStatus.PAID,
        LinkStatus.ERROR: LinkStatus.PAID,
    },
    EventStatus.FAILURE: {
        LinkStatus.CREATING: LinkStatus.FAILED,
        LinkStatus.ACTIVE: LinkStatus.FAILED,
        LinkStatus.PROCESSING: LinkStatus.FAILED,
        LinkStatus.ERROR: LinkStatus.FAILED,
    },
    EventStatus.EXPIRED: {
        LinkStatus.CREATING: LinkStatus.EXPIRED,
        LinkStatus.ACTIVE: LinkStatus.EXPIRED,
        LinkStatus.PROCESSING: LinkStatus.EXPIRED,
        LinkStatus.FAILED: LinkStatus.EXPIRED,
        LinkStatus.ERROR: LinkStatus.EXPIRED,
    },
}
OPEN_LINK_STATES = (
    LinkStatus.CREATING,
    LinkStatus.ACTIVE,
    LinkStatus.PROCESSING,
    LinkStatus.FAILED,
)


class EventOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    IGNORED = "ignored", _("Changed nothing")
    HELD = "held", _("Held for review")
    UNKNOWN_REFERENCE = "unknown_reference", _("Unknown link")


class Via(models.TextChoices):
    WEBHOOK = "webhook", _("webhook")
    POLL = "poll", _("status poll")
    LOCAL = "local", _("local expiry")


class HoldReason(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", _("The amount differs from the link")
    CURRENCY_MISMATCH = "currency_mismatch", _("The currency differs from the link")
    REFERENCE_UNKNOWN = "reference_unknown", _("No link with this reference")
    OVERPAYMENT = "overpayment", _("The invoice has less open than was paid")
    SECOND_PAYMENT = "second_payment", _("A second payment for a paid link")
    REFUND_REPORTED = "refund_reported", _("The provider reports a refund")
    NOT_RECORDED = "not_recorded", _("The payment could not be recorded")


class HoldStatus(models.TextChoices):
    OPEN = "open", _("Waiting for review")
    APPLIED = "applied", _("Recorded by hand")
    DISMISSED = "dismissed", _("Dismissed")


class IntermediaryKind(models.TextChoices):
    PAYMENT_AGENT = "payment_agent", _("Payment agent")
    MARKETPLACE = "marketplace", _("Marketplace")
    COD_CARRIER = "cod_carrier", _("Cash-on-delivery carrier")


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("Waiting for review")
    DISMISSED = "dismissed", _("Dismissed")


class EntryKind(models.TextChoices):
    COLLECTED = "collected", _("Collected from customers")
    COMMISSION = "commission", _("Commission (expense)")
    TRANSFERRED = "transferred", _("Transferred to us")


class SecurityKind(models.TextChoices):
    SIGNATURE_MISSING = "signature_missing", _("Signature missing")
    SIGNATURE_INVALID = "signature_invalid", _("Signature invalid")
    EVENT_STALE = "event_stale", _("Stale or replayed event")
    EVENT_MALFORMED = "event_malformed", _("Malformed event")
    PROVIDER_UNKNOWN = "provider_unknown", _("Unknown provider")
