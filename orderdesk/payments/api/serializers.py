"""Input and output shapes of the payments API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import (
    EventOutcome,
    EventStatus,
    HoldReason,
    HoldStatus,
    IntermediaryKind,
    LineStatus,
    LinkStatus,
    Provider,
)
from ..models import (
    Intermediary,
    PaymentHold,
    PaymentLink,
    PayoutLine,
    PayoutReport,
    ProviderEvent,
)
from ..services.payouts import FIELDS


def enum_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field described as a string listing its values: "status" and "kind" name
    other choice sets in billing and customers, and drf-spectacular's shared enum names per
    field name would collide."""

    @extend_schema_field(
        {"type": "string", "description": "One of: " + ", ".join(f"`{v}`" for v in choices.values)}
    )
    class EnumField(serializers.ChoiceField):
        pass

    return EnumField(choices=choices.choices, **kwargs)


class ProviderEventSerializer(serializers.ModelSerializer):
    status = enum_field(EventStatus, read_only=True)
    outcome = enum_field(EventOutcome, read_only=True)

    class Meta:
        model = ProviderEvent
        fields = [
            "event_id",
            "status",
            "provider_status",
            "amount",
            "currency",
            "occurred_at",
            "via",
            "outcome",
            "detail",
            "received_at",
        ]


class PaymentLinkSerializer(serializers.ModelSerializer):
    status = enum_field(LinkStatus, read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    payment_number = serializers.SerializerMethodField()

    class Meta:
        model = PaymentLink
        fields = [
            "id",
            "reference",
            "provider",
            "invoice",
            "invoice_number",
            "order",
            "order_number",
            "customer",
            "amount",
            "currency",
            "status",
            "url",
            "provider_ref",
            "expires_at",
            "paid_at",
            "payment",
            "payment_number",
            "error_code",
            "error_detail",
            "created_at",
        ]

    def get_payment_number(self, obj) -> str:
        return obj.payment.number if obj.payment_id else ""


class PaymentLinkDetailSerializer(PaymentLinkSerializer):
    events = ProviderEventSerializer(many=True, read_only=True)

    class Meta(PaymentLinkSerializer.Meta):
        fields = [*PaymentLinkSerializer.Meta.fields, "events"]


class LinkCreateInputSerializer(serializers.Serializer):
    invoice = serializers.IntegerField()
    provider = serializers.ChoiceField(choices=Provider.choices)


class HoldSerializer(serializers.ModelSerializer):
    status = enum_field(HoldStatus, read_only=True)
    reason = enum_field(HoldReason, read_only=True)

    class Meta:
        model = PaymentHold
        fields = [
            "id",
            "provider",
            "link",
            "invoice",
            "order",
            "customer",
            "amount",
            "currency",
            "provider_payment_id",
            "reason",
            "detail",
            "status",
            "payment",
            "resolved_by",
            "resolved_at",
            "resolution",
            "created_at",
        ]


class HoldApplyInputSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class IntermediarySerializer(serializers.ModelSerializer):
    kind = enum_field(IntermediaryKind, read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    balance = serializers.SerializerMethodField()

    class Meta:
        model = Intermediary
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "tax_id",
            "iban",
            "contract_number",
            "contract_date",
            "currency",
            "commission_percent",
            "commission_fixed",
            "commission_withheld",
            "column_mapping",
            "delimiter",
            "is_active",
            "balance",
        ]

    def get_balance(self, obj) -> dict[str, str]:
        from ..services.payouts import intermediary_balance

        return {k: str(v) for k, v in intermediary_balance(obj).items()}


class IntermediaryInputSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=32)
    name = serializers.CharField(required=False, max_length=255)
    kind = enum_field(IntermediaryKind, required=False)
    tax_id = serializers.CharField(required=False, allow_blank=True, max_length=10)
    iban = serializers.CharField(required=False, allow_blank=True, max_length=34)
    contract_number = serializers.CharField(required=False, allow_blank=True, max_length=64)
    contract_date = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(required=False, max_length=3)
    commission_percent = serializers.CharField(required=False)
    commission_fixed = serializers.CharField(required=False)
    commission_withheld = serializers.BooleanField(required=False)
    column_mapping = serializers.DictField(child=serializers.CharField(), required=False)
    delimiter = serializers.CharField(required=False, allow_blank=True, max_length=1)
    is_active = serializers.BooleanField(required=False)


class PayoutImportInputSerializer(serializers.Serializer):
    data = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    file = serializers.FileField(required=False)
    mapping = serializers.DictField(
        child=serializers.CharField(), required=False, help_text=f"Our fields: {', '.join(FIELDS)}."
    )
    delimiter = serializers.CharField(required=False, allow_blank=True, max_length=1)
    number = serializers.CharField(required=False, allow_blank=True, max_length=64)
    report_date = serializers.DateField(required=False, allow_null=True)
    expected_net_total = serializers.CharField(required=False, allow_blank=True)
    dry_run = serializers.BooleanField(required=False, default=True)


class PayoutLineSerializer(serializers.ModelSerializer):
    status = enum_field(LineStatus, read_only=True)
    invoice_number_matched = serializers.SerializerMethodField()

    class Meta:
        model = PayoutLine
        fields = [
            "id",
            "report",
            "row",
            "reference",
            "order_number",
            "invoice_number",
            "payer",
            "paid_on",
            "items",
            "gross",
            "commission",
            "net",
            "commission_expected",
            "status",
            "reason",
            "reason_detail",
            "invoice",
            "invoice_number_matched",
            "order",
            "customer",
            "payment",
            "matched_by_hand",
            "dismissed_reason",
        ]

    def get_invoice_number_matched(self, obj) -> str:
        return obj.invoice.number if obj.invoice_id else ""


class PayoutReportSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id", read_only=True)
    lines = PayoutLineSerializer(many=True, read_only=True)

    class Meta:
        model = PayoutReport
        fields = [
            "id",
            "intermediary",
            "number",
            "report_date",
            "currency",
            "file_name",
            "gross_total",
            "commission_total",
            "net_total",
            "created_at",
            "lines",
        ]


class LineMatchInputSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(required=False, allow_null=True)
    order = serializers.IntegerField(required=False, allow_null=True)
