"""Customers API shapes: `*Out` answers, `*In` parsed input handed to one service."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from ..choices import InstalmentTrigger, PaymentMethodKind
from ..models import (
    Contact,
    Customer,
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
    PaymentTermsInstalment,
    SalesTeam,
)


class ContactOut(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "position", "phone", "email", "is_primary"]


class ContactIn(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    position = serializers.CharField(max_length=128, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)


class CustomerOut(serializers.ModelSerializer):
    manager_name = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "legal_name",
            "short_name",
            "tax_id",
            "vat_number",
            "iban",
            "legal_address",
            "delivery_address",
            "email",
            "phone",
            "manager",
            "manager_name",
            "group",
            "active",
            "created_at",
        ]

    def get_manager_name(self, obj) -> str:
        return obj.manager.get_full_name() or obj.manager.get_username()


class CustomerDetailOut(CustomerOut):
    contacts = ContactOut(many=True, read_only=True)

    class Meta(CustomerOut.Meta):
        fields = [*CustomerOut.Meta.fields, "contacts"]


class CustomerIn(serializers.Serializer):
    """Tax id, VAT number, IBAN and e-mail are checked by the service (stable codes)."""

    legal_name = serializers.CharField(max_length=255)
    short_name = serializers.CharField(max_length=128)
    tax_id = serializers.CharField(max_length=32)
    vat_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    iban = serializers.CharField(max_length=64, required=False, allow_blank=True)
    legal_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    delivery_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    manager = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False
    )
    group = serializers.PrimaryKeyRelatedField(
        queryset=CustomerGroup.objects.all(), required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)


class CustomerGroupOut(serializers.ModelSerializer):
    class Meta:
        model = CustomerGroup
        fields = ["id", "code", "name"]


class CustomerGroupIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)


class SalesTeamOut(serializers.ModelSerializer):
    head_name = serializers.SerializerMethodField()

    class Meta:
        model = SalesTeam
        fields = ["id", "name", "head", "head_name", "members"]

    def get_head_name(self, obj) -> str:
        return obj.head.get_full_name() or obj.head.get_username()


class InstalmentOut(serializers.ModelSerializer):
    class Meta:
        model = PaymentTermsInstalment
        fields = ["position", "share_percent", "trigger", "days"]


class InstalmentIn(serializers.Serializer):
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    trigger = serializers.ChoiceField(choices=InstalmentTrigger.choices)
    days = serializers.IntegerField(default=0, min_value=0, max_value=3650)


class PaymentTermsOut(serializers.ModelSerializer):
    instalments = InstalmentOut(many=True, read_only=True)
    prepayment_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = PaymentTerms
        fields = ["id", "code", "name", "active", "prepayment_percent", "instalments"]


class PaymentTermsIn(serializers.Serializer):
    """The schedule's shares must add up to exactly 100 (`instalments_not_100`)."""

    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    active = serializers.BooleanField(required=False)
    instalments = InstalmentIn(many=True)


class PaymentMethodOut(serializers.ModelSerializer):
    class Meta:
        model = PaymentMethod
        fields = ["id", "code", "name", "kind", "active"]


class PaymentMethodIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    kind = serializers.ChoiceField(choices=PaymentMethodKind.choices)
    active = serializers.BooleanField(required=False)


class DeliveryMethodOut(serializers.ModelSerializer):
    class Meta:
        model = DeliveryMethod
        fields = ["id", "code", "name", "active"]


class DeliveryMethodIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    active = serializers.BooleanField(required=False)
