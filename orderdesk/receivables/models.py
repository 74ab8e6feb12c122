"""The receivables ledger: open items per customer, contract and currency, and allocations.

A debit item is what the customer owes (an invoice instalment); a credit item is what the
customer has paid or been credited (a payment, a credit note). An allocation settles part of a
debit item with part of a credit item. `open_amount` is stored and kept by every allocation, so
aging reads it from an index; the open amount *as of a past date* is replayed from the
allocations dated on or before that date, so a past report never changes.

The ledger knows documents only by reference (type, id, number, order id): it imports no order
or billing code.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.core.models import Currency
from orderdesk.customers.models import Customer
from orderdesk.pricing.models import Contract

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class Side(models.TextChoices):
    DEBIT = "debit", _("Debit (owed by the customer)")
    CREDIT = "credit", _("Credit (paid or credited)")


class ItemKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice instalment")
    PAYMENT = "payment", _("Payment")
    CREDIT_NOTE = "credit_note", _("Credit note")
    REVERSAL = "reversal", _("Reversal (storno)")


class OpenItem(models.Model):
    """One amount owed by or to a customer, with what of it is still open."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="open_items", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contract"),
    )
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, verbose_name=_("currency"))
    side = models.CharField(_("side"), max_length=6, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    doc_type = models.CharField(_("document type"), max_length=32)
    doc_id = models.PositiveBigIntegerField(_("document id"))
    doc_number = models.CharField(_("document number"), max_length=32)
    # A plain number, not a foreign key: the ledger sits below the orders app.
    order_id = models.PositiveBigIntegerField(_("order id"), null=True, blank=True)
    instalment = models.PositiveSmallIntegerField(_("instalment"), null=True, blank=True)
    trigger = models.CharField(_("due after"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    posting_date = models.DateField(_("posting date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    open_amount = models.DecimalField(_("open amount"), **AMOUNT)
    rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=6, default=Decimal("1")
    )
    base_amount = models.DecimalField(_("amount, base currency"), **AMOUNT)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("open item")
        verbose_name_plural = _("open items")
        ordering = ["customer", "posting_date", "id"]
        indexes = [
            # aging and "what is open" read only open rows
            models.Index(
                fields=["customer", "currency", "due_date"],
                condition=models.Q(open_amount__gt=0),
                name="receivables_item_open",
            ),
            # credit's overdue check: the oldest open debit and the overdue ones, whatever the
            # currency, read as a range of this index (not every open item of the customer)
            models.Index(
                fields=["customer", "due_date"],
                condition=models.Q(side="debit", open_amount__gt=0),
                name="receivables_item_open_debit",
            ),
            models.Index(fields=["customer", "currency", "posting_date"]),
            models.Index(fields=["order_id", "side"]),
            models.Index(fields=["doc_type", "doc_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="receivables_item_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(open_amount__gte=0, open_amount__lte=models.F("amount")),
                name="receivables_item_open_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gt=0), name="receivables_item_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doc_number} {self.amount} {self.currency_id}"

    @property
    def paid_amount(self) -> Decimal:
        return self.amount - self.open_amount


class Allocation(models.Model):
    """Part of a debit item settled by part of a credit item on a date.

    `amount` is in the debit item's currency, `credit_amount` in the credit item's (the same
    unless a payment in another currency settles an invoice, converted at the day's rate);
    `exchange_difference` is the base-currency gain (+) or loss (-) against the rates the two
    items were posted at. A reversed allocation keeps its row with `reversed_on`.
    """

    debit = models.ForeignKey(
        OpenItem,
        on_delete=models.PROTECT,
        related_name="debit_allocations",
        verbose_name=_("debit item"),
    )
    credit = models.ForeignKey(
        OpenItem,
        on_delete=models.PROTECT,
        related_name="credit_allocations",
        verbose_name=_("credit item"),
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **AMOUNT)
    credit_amount = models.DecimalField(_("amount in the credit's currency"), **AMOUNT)
    conversion_rate = models.DecimalField(
        _("conversion rate"), max_digits=18, decimal_places=6, default=Decimal("1")
    )
    exchange_difference = models.DecimalField(
        _("exchange difference, base currency"), default=Decimal("0"), **AMOUNT
    )
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["debit", "date"]),
            models.Index(fields=["credit", "date"]),
            # the replay of a past date (aging as of D) looks for allocations dated after D
            models.Index(fields=["date"], name="receivables_allocation_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, credit_amount__gt=0),
                name="receivables_allocation_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.debit_id} <- {self.credit_id}: {self.amount}"


class CustomerBalance(models.Model):
    """What a customer's open ledger items add up to, in base currency, kept by every ledger
    write in the same transaction; also the per-customer lock every ledger write takes first.

    An item's open value is its open amount at its posting rate, rounded to the base currency
    (`calculations.open_base`; a fully open item: its `base_amount`). `open_debit` is the sum
    over open debit items, `open_credit` over open credit items (unallocated payments and
    credit notes). Credit control reads this row instead of summing the items, so the check
    takes the same time at 10 and at 10 000 open items. The `receivables.balance_equals_items`
    invariant (`orderdesk reconcile`) compares it with the items.
    """

    customer = models.OneToOneField(
        Customer,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="ledger_balance",
        verbose_name=_("customer"),
    )
    open_debit = models.DecimalField(
        _("open debits, base currency"), max_digits=20, decimal_places=2, default=Decimal("0")
    )
    open_credit = models.DecimalField(
        _("open credits, base currency"), max_digits=20, decimal_places=2, default=Decimal("0")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer ledger balance")
        verbose_name_plural = _("customer ledger balances")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(open_debit__gte=0, open_credit__gte=0),
                name="receivables_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.open_debit} - {self.open_credit}"

    @property
    def net(self) -> Decimal:
        """Open debits less unallocated credit (what credit control counts as receivables)."""
        return self.open_debit - self.open_credit
