"""Documents and payments: invoices, delivery notes, cash receipts, credit notes, payments.

A document is a draft until it is posted; posting gives it the next number of its series for
the year and makes it immutable. A posted document is corrected only by reversal (a storno
credit note for an invoice). The ledger effect of a document lives in `receivables` as open
items that refer to the document by type, id and number.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.core.models import Currency
from orderdesk.customers.models import Customer
from orderdesk.orders.models import Order, OrderLine
from orderdesk.pricing.models import Contract
from orderdesk.receivables.models import OpenItem

AMOUNT = {"max_digits": 18, "decimal_places": 2, "default": Decimal("0")}


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")
    REVERSED = "reversed", _("Reversed")


class InvoiceKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Prepayment invoice")
    SHIPMENT = "shipment", _("Invoice for a shipment")
    ORDER = "order", _("Invoice for the order")


class InvoiceMode(models.TextChoices):
    PER_SHIPMENT = "per_shipment", _("An invoice per shipment")
    PER_ORDER = "per_order", _("One invoice when the order has shipped")


class CreditNoteReason(models.TextChoices):
    RETURN = "return", _("Goods returned")
    LINE_CANCELLED = "line_cancelled", _("Invoiced line cancelled")
    REVERSAL = "reversal", _("Reversal of an invoice")
    CORRECTION = "correction", _("Correction")


class PaymentMethodKind(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    CASH = "cash", _("Cash")


class CompanyProfile(models.Model):
    """The seller's legal details printed on every document (one row, edited in the admin)."""

    name = models.CharField(_("legal name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=128, blank=True)
    tax_id = models.CharField(_("ЄДРПОУ"), max_length=10)
    vat_number = models.CharField(_("VAT number"), max_length=12, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34)
    bank_name = models.CharField(_("bank"), max_length=255, blank=True)
    address = models.CharField(_("legal address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    director_name = models.CharField(_("director"), max_length=128, blank=True)
    accountant_name = models.CharField(_("chief accountant"), max_length=128, blank=True)
    cashier_name = models.CharField(_("cashier"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")

    def __str__(self) -> str:
        return self.short_name or self.name

    @classmethod
    def current(cls) -> "CompanyProfile":
        """The saved profile, or an unsaved placeholder that says it is not filled in."""
        return cls.objects.order_by("pk").first() or cls(
            name=str(_("(company details not set up)")), tax_id="", iban=""
        )


class BillingPolicy(models.Model):
    """Which documents are made by themselves, for one contract or as the company default."""

    contract = models.OneToOneField(
        Contract,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="billing_policy",
        verbose_name=_("contract"),
    )
    is_default = models.BooleanField(_("company default"), default=False)
    prepayment_invoice_on_confirm = models.BooleanField(
        _("prepayment invoice when an order needing prepayment is confirmed"), default=True
    )
    invoice_mode = models.CharField(
        _("invoicing"), max_length=16, choices=InvoiceMode.choices, default=InvoiceMode.PER_SHIPMENT
    )
    delivery_note_per_shipment = models.BooleanField(
        _("delivery note for every shipment"), default=True
    )
    credit_note_on_return = models.BooleanField(_("credit note when goods return"), default=True)
    credit_note_on_line_cancel = models.BooleanField(
        _("credit note when an invoiced line is cancelled"), default=True
    )
    post_automatically = models.BooleanField(
        _("post documents made by the policy at once"), default=True
    )

    class Meta:
        verbose_name = _("billing policy")
        verbose_name_plural = _("billing policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="billing_policy_one_default",
            ),
            models.CheckConstraint(
                condition=models.Q(is_default=True, contract__isnull=True)
                | models.Q(is_default=False, contract__isnull=False),
                name="billing_policy_default_xor_contract",
            ),
        ]

    def __str__(self) -> str:
        return str(_("company default")) if self.is_default else str(self.contract)


class Document(models.Model):
    """What every billing document has: number, state, parties, money, who did what when."""

    number = models.CharField(_("number"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contract"),
    )
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=6, default=Decimal("1")
    )
    document_date = models.DateField(_("date"), null=True, blank=True)
    net_amount = models.DecimalField(_("net amount"), **AMOUNT)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    gross_amount = models.DecimalField(_("total"), **AMOUNT)
    base_gross_amount = models.DecimalField(_("total, base currency"), **AMOUNT)
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)

    # series key and number prefix of the document type (see services.numbering)
    series_key = ""
    number_prefix = ""
    doc_type = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number or f"{self._meta.verbose_name} #{self.pk} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == DocumentStatus.DRAFT


class DocumentLine(models.Model):
    """A line copied from the order line: price, discount and VAT as the order has them."""

    order_line = models.ForeignKey(
        OrderLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order line"),
    )
    position = models.PositiveIntegerField(_("position"))
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=255)
    unit = models.CharField(_("unit"), max_length=16)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=4)
    discount_percent = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net amount"), **AMOUNT)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    gross_amount = models.DecimalField(_("total"), **AMOUNT)

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.description} x {self.quantity}"


def _number_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["number"], condition=~models.Q(number=""), name=f"billing_{name}_number"
    )


class Invoice(Document):
    """Рахунок на оплату: what the customer is asked to pay and when (instalments)."""

    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("order")
    )
    shipment_ref = models.CharField(_("shipment"), max_length=64, blank=True)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)
    prepayment_deducted = models.DecimalField(_("prepayment invoiced before"), **AMOUNT)
    payable_amount = models.DecimalField(_("to pay"), **AMOUNT)
    due_date = models.DateField(_("due date"), null=True, blank=True)

    series_key = "billing.invoice"
    number_prefix = "РФ"
    doc_type = "invoice"

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-document_date"])]
        constraints = [_number_unique("invoice")]


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )

    class Meta(DocumentLine.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")


class InvoiceInstalment(models.Model):
    """One part of what an invoice asks for, due on its own date (becomes an open item)."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(_("instalment"))
    trigger = models.CharField(_("due after"), max_length=20)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    share_percent = models.DecimalField(_("share, %"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    due_date = models.DateField(_("due date"))
    open_item = models.OneToOneField(
        OpenItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("open item"),
    )

    class Meta:
        verbose_name = _("invoice instalment")
        verbose_name_plural = _("invoice instalments")
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.amount} до {self.due_date}"


class DeliveryNote(Document):
    """Видаткова накладна: the goods that left in one shipment."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="delivery_notes", verbose_name=_("order")
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery_notes",
        verbose_name=_("invoice"),
    )
    shipment_ref = models.CharField(_("shipment"), max_length=64, blank=True)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)

    series_key = "billing.delivery_note"
    number_prefix = "ВН"
    doc_type = "delivery_note"

    class Meta:
        verbose_name = _("delivery note")
        verbose_name_plural = _("delivery notes")
        ordering = ["-created_at", "-id"]
        constraints = [_number_unique("delivery_note")]


class DeliveryNoteLine(DocumentLine):
    delivery_note = models.ForeignKey(
        DeliveryNote,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("delivery note"),
    )

    class Meta(DocumentLine.Meta):
        verbose_name = _("delivery note line")
        verbose_name_plural = _("delivery note lines")


class CreditNote(Document):
    """A credit to the customer: goods returned, an invoiced line cancelled, a storno."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("order")
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("invoice"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=CreditNoteReason.choices)
    credit_amount = models.DecimalField(_("credited"), **AMOUNT)

    series_key = "billing.credit_note"
    number_prefix = "КН"
    doc_type = "credit_note"

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-created_at", "-id"]
        constraints = [_number_unique("credit_note")]


class CreditNoteLine(DocumentLine):
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("credit note")
    )

    class Meta(DocumentLine.Meta):
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")


class Payment(models.Model):
    """Money received from a customer: a bank transfer (by hand or from a statement) or cash.

    Its ledger side is one credit item; allocations settle invoice instalments with it, and
    what is left stays as the customer's credit.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("order"),
    )
    method = models.CharField(
        _("method"), max_length=8, choices=PaymentMethodKind.choices, default=PaymentMethodKind.BANK
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.POSTED
    )
    payment_date = models.DateField(_("date"))
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=6, default=Decimal("1")
    )
    payer_name = models.CharField(_("payer"), max_length=255, blank=True)
    payer_tax_id = models.CharField(_("payer's tax id"), max_length=10, blank=True)
    purpose = models.CharField(_("purpose of payment"), max_length=500, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    credit_item = models.OneToOneField(
        OpenItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ledger item"),
    )
    import_batch = models.CharField(_("statement import"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)

    doc_type = "payment"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-payment_date", "-id"]
        indexes = [models.Index(fields=["customer", "-payment_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~models.Q(bank_reference=""),
                name="billing_payment_bank_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="billing_payment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        ref = self.bank_reference or f"#{self.pk}"
        return f"{_('Payment')} {ref} {self.amount} {self.currency_id}"

    @property
    def number(self) -> str:
        return self.bank_reference or f"PAY-{self.pk}"


class CashReceipt(Document):
    """Прибутковий касовий ордер: cash taken from the customer; posting records the payment."""

    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cash_receipts",
        verbose_name=_("order"),
    )
    received_from = models.CharField(_("received from"), max_length=255)
    basis = models.CharField(_("basis"), max_length=255, blank=True)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cash_receipt",
        verbose_name=_("payment"),
    )

    series_key = "billing.cash_receipt"
    number_prefix = "ПКО"
    doc_type = "cash_receipt"

    class Meta:
        verbose_name = _("cash receipt")
        verbose_name_plural = _("cash receipts")
        ordering = ["-created_at", "-id"]
        constraints = [_number_unique("cash_receipt")]
