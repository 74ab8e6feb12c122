"""Pricing API shapes: `*Out` answers, `*In` parsed input handed to one service."""

from __future__ import annotations

from rest_framework import serializers

from orderdesk.catalog.models import Product
from orderdesk.customers.models import (
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
)

from ..models import Contract, PriceList, PriceListItem


class ContractOut(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.short_name", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "customer",
            "customer_name",
            "number",
            "date",
            "valid_from",
            "valid_to",
            "currency",
            "price_list",
            "payment_terms",
            "payment_method",
            "delivery_method",
            "delivery_terms",
            "max_manual_discount",
            "is_default",
            "active",
        ]


class ContractIn(serializers.Serializer):
    """`customer` only on create. One default per customer: a new default unsets the old."""

    customer = serializers.IntegerField()
    number = serializers.CharField(max_length=64)
    date = serializers.DateField()
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    price_list = serializers.PrimaryKeyRelatedField(
        queryset=PriceList.objects.all(), required=False, allow_null=True
    )
    payment_terms = serializers.PrimaryKeyRelatedField(queryset=PaymentTerms.objects.all())
    payment_method = serializers.PrimaryKeyRelatedField(queryset=PaymentMethod.objects.all())
    delivery_method = serializers.PrimaryKeyRelatedField(
        queryset=DeliveryMethod.objects.all(), required=False, allow_null=True
    )
    delivery_terms = serializers.CharField(max_length=128, required=False, allow_blank=True)
    max_manual_discount = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    is_default = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)


class ContractUpdateIn(ContractIn):
    """A contract stays with its customer."""

    customer = None


class PriceListOut(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = PriceList
        fields = [
            "id",
            "code",
            "name",
            "currency",
            "prices_include_vat",
            "customer_groups",
            "active",
            "item_count",
        ]


class PriceListIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    currency = serializers.CharField(max_length=3)
    prices_include_vat = serializers.BooleanField(required=False)
    customer_groups = serializers.PrimaryKeyRelatedField(
        queryset=CustomerGroup.objects.all(), many=True, required=False
    )
    active = serializers.BooleanField(required=False)


class PriceItemOut(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = PriceListItem
        fields = [
            "id",
            "product",
            "sku",
            "product_name",
            "price",
            "min_quantity",
            "valid_from",
            "valid_to",
        ]


class PriceItemIn(serializers.Serializer):
    """Negative prices are `price_negative`; overlapping validity `price_period_overlap`."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    price = serializers.DecimalField(max_digits=18, decimal_places=4)
    min_quantity = serializers.DecimalField(max_digits=18, decimal_places=3, required=False)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True)
