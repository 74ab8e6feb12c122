"""Credit limits, terms and modes; the one place committed amounts are kept; holds.

credit may not import orders: orders are known by id and number. `CreditAccount` is the
serialization point (one row per customer, locked FOR UPDATE by every check that can let
exposure grow) and holds the committed amount of the customer's confirmed, not yet invoiced
orders, kept by `Commitment` rows per order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.customers.models import Customer, CustomerGroup
from orderdesk.pricing.models import Contract

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class Mode(models.TextChoices):
    WARN = "warn", _("Warn only")
    BLOCK_CONFIRMATION = "block_confirmation", _("Block confirmation")
    BLOCK_SHIPMENT = "block_shipment", _("Block shipment")


class CreditLimit(models.Model):
    """A limit for a customer, one of its contracts, or a customer group (shared by related
    companies), in base currency (converted from the currency it was entered in)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("customer"),
    )  # fmt: skip
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("contract"),
    )  # fmt: skip
    group = models.ForeignKey(
        CustomerGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("customer group"),
    )  # fmt: skip
    amount = models.DecimalField(_("limit, base currency"), **AMOUNT)
    entered_amount = models.DecimalField(_("limit as entered"), **AMOUNT)
    entered_currency = models.CharField(_("currency entered"), max_length=3)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.WARN)
    overdue_days = models.PositiveIntegerField(_("tolerated overdue days"), default=0)
    overdue_amount = models.DecimalField(_("tolerated overdue amount"), default=0, **AMOUNT)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("set by"),
    )  # fmt: skip
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit limit")
        verbose_name_plural = _("credit limits")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="credit_limit_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.customer or self.group or self.contract}: {self.amount}"


class CreditAccount(models.Model):
    """One per customer: the lock every exposure-growing check takes, the committed amount
    (confirmed orders not yet invoiced) and the block."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="credit_account",
        verbose_name=_("customer"),
    )  # fmt: skip
    committed_amount = models.DecimalField(_("committed, base currency"), default=0, **AMOUNT)
    blocked = models.BooleanField(_("blocked"), default=False)
    block_kind = models.CharField(_("block kind"), max_length=10, blank=True)  # manual | overdue
    block_reason = models.TextField(_("block reason"), blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("blocked by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")

    def __str__(self) -> str:
        return str(self.customer)


class Commitment(models.Model):
    """The amount of one confirmed order not yet invoiced (base currency)."""

    account = models.ForeignKey(
        CreditAccount, on_delete=models.CASCADE, related_name="commitments",
        verbose_name=_("account"),
    )  # fmt: skip
    order_id = models.PositiveBigIntegerField(_("order id"), unique=True)
    order_number = models.CharField(_("order number"), max_length=64)
    order_amount = models.DecimalField(_("order total, base currency"), default=0, **AMOUNT)
    invoiced_amount = models.DecimalField(_("invoiced, base currency"), default=0, **AMOUNT)
    amount = models.DecimalField(_("committed, base currency"), **AMOUNT)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return f"{self.order_number}: {self.amount}"


class HoldStatus(models.TextChoices):
    HELD = "held", _("Held")
    RELEASED = "released", _("Released")
    CLOSED = "closed", _("Closed")


class CreditHold(models.Model):
    """An order waiting in credit hold, with its reasons in numbers; released once."""

    order_id = models.PositiveBigIntegerField(_("order id"))
    order_number = models.CharField(_("order number"), max_length=64)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    amount = models.DecimalField(_("order amount, base currency"), **AMOUNT)
    reasons = models.JSONField(_("reasons"), default=list)
    stage = models.CharField(_("checked at"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.HELD
    )
    held_at = models.DateTimeField(_("held at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("released by"),
    )  # fmt: skip
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    override_amount = models.DecimalField(_("released for amount"), null=True, blank=True, **AMOUNT)

    class Meta:
        verbose_name = _("credit hold")
        verbose_name_plural = _("credit holds")
        ordering = ["held_at", "id"]
        indexes = [models.Index(fields=["order_id", "status"])]

    def __str__(self) -> str:
        return f"{self.order_number} ({self.status})"
