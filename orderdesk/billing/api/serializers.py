"""Billing API shapes: input serializers parse types and sizes; the services own the rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from orderdesk.orders.api.serializers import (
    MAX_ID,
    MAX_LINES,
    OrderRefSerializer,
    StrictInputSerializer,
)
from orderdesk.receivables.models import Allocation, OpenItem

from ..models import (
    CashReceipt,
    CreditNote,
    CreditNoteReason,
    DeliveryNote,
    Invoice,
    InvoiceInstalment,
    InvoiceLine,
    Payment,
)


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, **kwargs)


# --- input -------------------------------------------------------------------------------------


class LineQuantityInputSerializer(StrictInputSerializer):
    line = _id(help_text=_("Order line id."))
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3)


def line_pairs(values: list[dict]) -> list[tuple[int, Any]]:
    return [(v["line"], v["quantity"]) for v in values or []]


class InvoiceCreateInputSerializer(StrictInputSerializer):
    order = _id()
    kind = serializers.CharField(
        max_length=12,
        help_text=_("prepayment, shipment or order (else invoice_kind_invalid)"),
    )
    lines = LineQuantityInputSerializer(
        many=True,
        required=False,
        max_length=MAX_LINES,
        help_text=_("For a shipment invoice: the shipped lines and quantities."),
    )
    shipped_on = serializers.DateField(required=False, allow_null=True)
    shipment_ref = serializers.CharField(required=False, allow_blank=True, max_length=64)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class DeliveryNoteCreateInputSerializer(StrictInputSerializer):
    order = _id()
    lines = LineQuantityInputSerializer(many=True, max_length=MAX_LINES)
    shipped_on = serializers.DateField(required=False, allow_null=True)
    shipment_ref = serializers.CharField(required=False, allow_blank=True, max_length=64)


class CreditNoteCreateInputSerializer(StrictInputSerializer):
    order = _id()
    reason = serializers.ChoiceField(
        choices=[c for c in CreditNoteReason.choices if c[0] != CreditNoteReason.REVERSAL]
    )
    invoice = _id(required=False, allow_null=True)
    lines = LineQuantityInputSerializer(many=True, required=False, max_length=MAX_LINES)
    amount = _money(required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class CashReceiptCreateInputSerializer(StrictInputSerializer):
    customer = _id()
    order = _id(required=False, allow_null=True)
    amount = _money()
    currency = serializers.CharField(required=False, max_length=3)
    received_from = serializers.CharField(required=False, allow_blank=True, max_length=255)
    basis = serializers.CharField(required=False, allow_blank=True, max_length=255)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class DocumentUpdateInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    document_date = serializers.DateField(required=False, allow_null=True)
    amount = _money(required=False)
    received_from = serializers.CharField(required=False, max_length=255)
    basis = serializers.CharField(required=False, allow_blank=True, max_length=255)


class ReverseInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class AllocationChoiceInputSerializer(StrictInputSerializer):
    item = _id(help_text=_("Open debit item (an invoice instalment)."))
    amount = _money()


class PaymentCreateInputSerializer(StrictInputSerializer):
    customer = _id()
    order = _id(required=False, allow_null=True)
    amount = _money(help_text=_("Positive; a negative amount is refused (amount_not_positive)."))
    currency = serializers.CharField(required=False, max_length=3)
    payment_date = serializers.DateField(required=False)
    payer_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    payer_tax_id = serializers.CharField(required=False, allow_blank=True, max_length=10)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=500)
    bank_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    allocate = serializers.ChoiceField(
        choices=[("auto", "auto"), ("none", "none"), ("chosen", "chosen")],
        required=False,
        default="auto",
        help_text=_("auto: oldest due first; none: keep as credit; chosen: `allocations`."),
    )
    allocations = AllocationChoiceInputSerializer(many=True, required=False, max_length=MAX_LINES)

    def validate(self, attrs):
        if attrs.get("allocate") == "chosen" and not attrs.get("allocations"):
            raise serializers.ValidationError(
                {"allocations": [_("Name the instalments to settle.")]}, code="required"
            )
        return attrs

    def allocation_arg(self) -> Any:
        data = self.validated_data
        mode = data.get("allocate", "auto")
        if mode == "auto" and not data.get("allocations"):
            return "auto"
        if mode == "none":
            return []
        return [(a["item"], a["amount"]) for a in data.get("allocations", [])]


class StatementImportInputSerializer(serializers.Serializer):
    data = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5_000_000,
        help_text=_("The CSV text (or send a file as `file` in a multipart body)."),
    )
    file = serializers.FileField(required=False)
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=128),
        required=False,
        help_text=_(
            "Our field -> the file's column: date, amount, currency, payer_tax_id, "
            "purpose, bank_reference, payer_name."
        ),
    )
    dry_run = serializers.BooleanField(required=False, default=True)
    skip_duplicates = serializers.BooleanField(required=False, default=False)
    delimiter = serializers.ChoiceField(choices=[";", ",", "\t"], required=False)
    default_currency = serializers.CharField(required=False, max_length=3)


class AllocationCreateInputSerializer(StrictInputSerializer):
    debit = _id()
    credit = _id()
    amount = _money()
    date = serializers.DateField(required=False)


# --- output ------------------------------------------------------------------------------------

DOCUMENT_FIELDS = [
    "id", "number", "status", "customer", "order", "currency", "exchange_rate", "document_date",
    "net_amount", "vat_amount", "gross_amount", "base_gross_amount", "comment", "created_at",
    "posted_at", "reversed_at", "reversal_reason", "pdf_url",
]  # fmt: skip


class DocumentLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "position", "order_line", "sku", "description", "unit", "quantity", "unit_price",
            "discount_percent", "vat_rate", "net_amount", "vat_amount", "gross_amount",
        ]  # fmt: skip
        read_only_fields = fields


class InstalmentSerializer(serializers.ModelSerializer):
    open_item = serializers.IntegerField(source="open_item_id", read_only=True, allow_null=True)

    class Meta:
        model = InvoiceInstalment
        fields = ["position", "trigger", "days", "share_percent", "amount", "due_date", "open_item"]
        read_only_fields = fields


STATUS_HELP = _("draft, posted or reversed")


class _DocumentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    customer = OrderRefSerializer(read_only=True)
    order = OrderRefSerializer(read_only=True, allow_null=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    pdf_url = serializers.SerializerMethodField()

    def get_pdf_url(self, doc) -> str:
        from django.urls import reverse

        return reverse(f"api-billing-{doc.doc_type.replace('_', '-')}-pdf", args=[doc.pk])


class InvoiceSerializer(_DocumentSerializer):
    kind = serializers.CharField(read_only=True, help_text=_("prepayment, shipment or order"))
    lines = DocumentLineSerializer(many=True, read_only=True)
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            *DOCUMENT_FIELDS,
            "kind",
            "shipment_ref",
            "shipped_on",
            "prepayment_deducted",
            "payable_amount",
            "due_date",
            "lines",
            "instalments",
        ]
        read_only_fields = fields


class DeliveryNoteSerializer(_DocumentSerializer):
    lines = DocumentLineSerializer(many=True, read_only=True)
    invoice = serializers.IntegerField(source="invoice_id", read_only=True, allow_null=True)

    class Meta:
        model = DeliveryNote
        fields = [*DOCUMENT_FIELDS, "invoice", "shipment_ref", "shipped_on", "lines"]
        read_only_fields = fields


class CreditNoteSerializer(_DocumentSerializer):
    lines = DocumentLineSerializer(many=True, read_only=True)
    invoice = serializers.IntegerField(source="invoice_id", read_only=True, allow_null=True)

    class Meta:
        model = CreditNote
        fields = [*DOCUMENT_FIELDS, "reason", "invoice", "credit_amount", "lines"]
        read_only_fields = fields


class CashReceiptSerializer(_DocumentSerializer):
    payment = serializers.IntegerField(source="payment_id", read_only=True, allow_null=True)

    class Meta:
        model = CashReceipt
        fields = [*DOCUMENT_FIELDS, "received_from", "basis", "payment"]
        read_only_fields = fields


class OpenItemSerializer(serializers.ModelSerializer):
    side = serializers.CharField(read_only=True, help_text=_("debit (owed) or credit (paid)"))
    kind = serializers.CharField(
        read_only=True, help_text=_("invoice, payment, credit_note or reversal")
    )
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    open_as_of = _money(read_only=True, required=False, allow_null=True)

    class Meta:
        model = OpenItem
        fields = [
            "id", "customer", "currency", "side", "kind", "doc_type", "doc_id", "doc_number",
            "order_id", "instalment", "trigger", "description", "posting_date", "due_date",
            "amount", "open_amount", "open_as_of", "rate", "base_amount",
        ]  # fmt: skip
        read_only_fields = fields


class AllocationSerializer(serializers.ModelSerializer):
    debit_document = serializers.CharField(source="debit.doc_number", read_only=True)
    credit_document = serializers.CharField(source="credit.doc_number", read_only=True)
    currency = serializers.CharField(source="debit.currency_id", read_only=True)
    credit_currency = serializers.CharField(source="credit.currency_id", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id", "debit", "credit", "debit_document", "credit_document", "date", "amount",
            "currency", "credit_amount", "credit_currency", "conversion_rate",
            "exchange_difference", "reversed_on",
        ]  # fmt: skip
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=_("posted or reversed"))
    customer = OrderRefSerializer(read_only=True)
    order = OrderRefSerializer(read_only=True, allow_null=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    open_amount = serializers.SerializerMethodField()
    allocations = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id", "number", "status", "method", "customer", "order", "payment_date", "currency",
            "amount", "exchange_rate", "open_amount", "payer_name", "payer_tax_id", "purpose",
            "bank_reference", "import_batch", "created_at", "reversed_at", "reversal_reason",
            "allocations",
        ]  # fmt: skip
        read_only_fields = fields

    def get_open_amount(self, payment) -> str | None:
        item = payment.credit_item
        return None if item is None else str(item.open_amount)

    def get_allocations(self, payment) -> list[dict]:
        from ..selectors import allocations_of

        return AllocationSerializer(allocations_of(payment.credit_item), many=True).data


class StatementRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    doc_type = serializers.CharField()
    doc_number = serializers.CharField()
    description = serializers.CharField()
    debit = _money()
    credit = _money()
    balance = _money()
    order_id = serializers.IntegerField(allow_null=True)


class StatementSerializer(serializers.Serializer):
    customer = OrderRefSerializer()
    currency = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening = _money()
    rows = StatementRowSerializer(many=True)
    total_debit = _money()
    total_credit = _money()
    closing = _money()


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.CharField()
    date = serializers.CharField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    payer_tax_id = serializers.CharField()
    customer_id = serializers.IntegerField(allow_null=True)
    customer = serializers.CharField()
    order_id = serializers.IntegerField(allow_null=True)
    order = serializers.CharField()
    purpose = serializers.CharField()
    bank_reference = serializers.CharField()
    payment_id = serializers.IntegerField(allow_null=True)
    errors = serializers.ListField(child=serializers.DictField())


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    batch = serializers.CharField()
    rows = ImportRowSerializer(many=True)
    ready = serializers.IntegerField()
    imported = serializers.IntegerField()
    errors = serializers.IntegerField()
    skipped = serializers.IntegerField()
