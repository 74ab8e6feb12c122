"""Payment services (pay-by-link through LiqPay, monobank, Stripe) and intermediaries.

A payment link asks a provider to take the open amount of one posted invoice by card. The
provider's events (webhooks, or status polls as the fallback) are recorded once per
(provider, event id) in the same transaction as their effect; a payment is registered and
allocated through billing's payment service. What does not fit (another amount or currency,
an unknown link, a refund) waits in a review queue as a hold.

An intermediary (payment agent, marketplace, cash-on-delivery carrier) collects customers'
money for us, keeps a commission and transfers the rest; its payout report is imported line
by line: matched lines close the customers' debt by the gross amount, the rest waits for
review, and its own ledger keeps what it collected, kept and transferred.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.billing.models import Invoice, Payment
from orderdesk.core.models import Currency
from orderdesk.customers.models import Customer
from orderdesk.orders.models import Order

from .choices import (
    EntryKind,
    EventOutcome,
    EventStatus,
    HoldReason,
    HoldStatus,
    IntermediaryKind,
    LineStatus,
    LinkStatus,
    Provider,
    SecurityKind,
    Via,
)

AMOUNT = {"max_digits": 18, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class PaymentLink(models.Model):
    """A link through which the customer pays one invoice's open amount by card."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    provider = models.CharField(_("payment service"), max_length=12, choices=Provider.choices)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payment_links", verbose_name=_("invoice")
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payment_links", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LinkStatus.choices, default=LinkStatus.CREATING
    )
    url = models.URLField(_("payment page"), max_length=2000, blank=True)
    provider_ref = models.CharField(_("provider's id"), max_length=128, blank=True)
    provider_payment_id = models.CharField(_("provider's payment id"), max_length=128, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_detail = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("creation attempts"), default=0)
    last_polled_at = models.DateTimeField(_("last status poll"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "provider"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=~models.Q(provider_ref=""),
                name="payments_link_provider_ref",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payments_link_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.reference}"


class ProviderEvent(models.Model):
    """One provider event, recorded once: the unique (provider, event id) row is written in
    the same transaction as the event's effect, so a redelivery finds it and changes nothing."""

    provider = models.CharField(_("payment service"), max_length=12, choices=Provider.choices)
    event_id = models.CharField(_("event id"), max_length=190)
    link = models.ForeignKey(
        PaymentLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("payment link"),
    )
    status = models.CharField(_("meaning"), max_length=12, choices=EventStatus.choices)
    provider_status = models.CharField(_("provider's status"), max_length=64, blank=True)
    reference = models.CharField(_("reference"), max_length=128, blank=True)
    payment_id = models.CharField(_("provider's payment id"), max_length=128, blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    occurred_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    via = models.CharField(_("received by"), max_length=8, choices=Via.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=EventOutcome.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class PaymentHold(models.Model):
    """A provider payment that was not applied by itself: it waits for an accountant."""

    provider = models.CharField(_("payment service"), max_length=12, choices=Provider.choices)
    event = models.ForeignKey(
        ProviderEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
        verbose_name=_("event"),
    )
    link = models.ForeignKey(
        PaymentLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
        verbose_name=_("payment link"),
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_holds",
        verbose_name=_("order"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    amount = models.DecimalField(_("amount"), null=True, blank=True, **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    provider_payment_id = models.CharField(_("provider's payment id"), max_length=128, blank=True)
    reason = models.CharField(_("reason"), max_length=24, choices=HoldReason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.OPEN
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    resolved_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("held payment")
        verbose_name_plural = _("held payments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.amount or ''} {self.currency}: {self.reason}"


class SecurityEvent(models.Model):
    """A refused webhook delivery (bad or missing signature, stale or malformed event)."""

    kind = models.CharField(_("kind"), max_length=20, choices=SecurityKind.choices)
    provider = models.CharField(_("payment service"), max_length=32, blank=True)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=255, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, blank=True)
    body_size = models.PositiveIntegerField(_("body size"), default=0)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.provider} {self.kind}"


class Intermediary(models.Model):
    """Someone who collects our customers' money for us and keeps a commission."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=IntermediaryKind.choices)
    tax_id = models.CharField(_("ЄДРПОУ"), max_length=10, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    contract_number = models.CharField(_("agent contract"), max_length=64, blank=True)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    commission_percent = models.DecimalField(
        _("commission, %"), max_digits=6, decimal_places=3, default=Decimal("0")
    )
    commission_fixed = models.DecimalField(
        _("commission per item"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    commission_withheld = models.BooleanField(
        _("commission withheld from the transfer"),
        default=True,
        help_text=_("Off: it transfers the whole amount and invoices its commission apart."),
    )
    column_mapping = models.JSONField(_("report columns"), default=dict, blank=True)
    delimiter = models.CharField(_("column separator"), max_length=1, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("intermediary")
        verbose_name_plural = _("intermediaries")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    commission_percent__gte=0, commission_percent__lt=100, commission_fixed__gte=0
                ),
                name="payments_intermediary_commission_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PayoutReport(models.Model):
    """An intermediary's payout report as imported: its lines and totals."""

    intermediary = models.ForeignKey(
        Intermediary,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("intermediary"),
    )
    number = models.CharField(_("report number"), max_length=64)
    report_date = models.DateField(_("report date"))
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    gross_total = models.DecimalField(_("collected"), **AMOUNT)
    commission_total = models.DecimalField(_("commission"), **AMOUNT)
    net_total = models.DecimalField(_("transferred"), **AMOUNT)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout report")
        verbose_name_plural = _("payout reports")
        ordering = ["-report_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intermediary", "number"], name="payments_report_number"
            ),
            models.UniqueConstraint(
                fields=["intermediary", "file_sha256"], name="payments_report_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intermediary} {self.number}"


class PayoutLine(models.Model):
    """One customer payment in a payout report, and what it settled."""

    report = models.ForeignKey(
        PayoutReport, on_delete=models.CASCADE, related_name="lines", verbose_name=_("report")
    )
    row = models.PositiveIntegerField(_("row"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    order_number = models.CharField(_("order number"), max_length=64, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=64, blank=True)
    payer = models.CharField(_("payer"), max_length=255, blank=True)
    paid_on = models.DateField(_("paid on"))
    items = models.PositiveIntegerField(_("items"), default=1)
    gross = models.DecimalField(_("paid by the customer"), **AMOUNT)
    commission = models.DecimalField(_("commission"), **AMOUNT)
    net = models.DecimalField(_("transferred"), **AMOUNT)
    commission_expected = models.DecimalField(
        _("commission by the terms"), null=True, blank=True, **AMOUNT
    )
    status = models.CharField(_("status"), max_length=10, choices=LineStatus.choices)
    reason = models.CharField(_("why it waits"), max_length=40, blank=True)
    reason_detail = models.CharField(_("detail"), max_length=500, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_lines",
        verbose_name=_("invoice"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_lines",
        verbose_name=_("order"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    matched_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("matched by"),
    )
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    matched_by_hand = models.BooleanField(_("matched by hand"), default=False)
    dismissed_reason = models.TextField(_("why dismissed"), blank=True)

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ["report", "row"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["reference"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["report", "row"], name="payments_line_row"),
        ]

    def __str__(self) -> str:
        return f"{self.report.number}/{self.row} {self.gross}"


class IntermediaryEntry(models.Model):
    """The intermediary's own ledger: + what it collected for us, − the commission it kept
    (our expense) and − what it transferred. The sum is what it owes us."""

    intermediary = models.ForeignKey(
        Intermediary,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("intermediary"),
    )
    report = models.ForeignKey(
        PayoutReport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("report"),
    )
    line = models.ForeignKey(
        PayoutLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("line"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    entry_date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (+ owes us)"), **AMOUNT)
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("intermediary ledger entry")
        verbose_name_plural = _("intermediary ledger")
        ordering = ["entry_date", "id"]
        indexes = [models.Index(fields=["intermediary", "currency", "entry_date"])]

    def __str__(self) -> str:
        return f"{self.intermediary} {self.kind} {self.amount}"
