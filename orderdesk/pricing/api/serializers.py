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

from ..models import (
    Contract,
    ContractPrice,
    DiscountBudget,
    DiscountPolicy,
    PriceImport,
    PriceList,
    PriceListItem,
    PricingLimits,
)


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
    kind = serializers.CharField(read_only=True, help_text="items | derived | cost_plus")

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
            "kind",
            "base_list",
            "percent",
            "rounding",
        ]


class PriceListIn(serializers.Serializer):
    """`kind`: items (own prices), derived (`base_list` +/- `percent`, rounded by `rounding`),
    cost_plus (cost + `percent` markup, rounded)."""

    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    currency = serializers.CharField(max_length=3)
    prices_include_vat = serializers.BooleanField(required=False)
    kind = serializers.CharField(required=False, max_length=16)
    base_list = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    percent = serializers.DecimalField(max_digits=7, decimal_places=2, required=False)
    rounding = serializers.CharField(required=False, max_length=8)
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


# --- derived lists, contract prices, policies, limits, import ---------------------------------


class ContractPriceOut(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = ContractPrice
        fields = ["id", "product", "sku", "product_name", "price", "valid_from", "valid_to"]


class ContractPriceIn(serializers.Serializer):
    """Net, in the contract's currency; overlapping validity is `price_period_overlap`."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    price = serializers.DecimalField(max_digits=18, decimal_places=4)
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False, allow_null=True)


class DiscountPolicyOut(serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="customer_group | product_group | quantity | order_amount"
    )

    class Meta:
        model = DiscountPolicy
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "customer_group",
            "product_group",
            "percent",
            "tiers",
            "valid_from",
            "valid_to",
            "priority",
            "stacking",
            "active",
        ]


class DiscountPolicyIn(serializers.Serializer):
    """`tiers`: [{"from": "10", "percent": "2"}, ...], thresholds rising (`tiers_out_of_order`),
    for the quantity and order amount kinds; `percent` for the group kinds."""

    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    kind = serializers.CharField(max_length=16)
    customer_group = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    product_group = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    percent = serializers.CharField(required=False, max_length=32)
    tiers = serializers.ListField(child=serializers.DictField(), required=False, max_length=100)
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False, allow_null=True)
    priority = serializers.IntegerField(required=False)
    stacking = serializers.CharField(required=False, max_length=16)
    active = serializers.BooleanField(required=False)


class PricingLimitsSerializer(serializers.ModelSerializer):
    """Empty values are "no limit"; amounts in the base currency."""

    class Meta:
        model = PricingLimits
        fields = [
            "max_order_discount_percent",
            "max_order_discount_amount",
            "min_margin_percent",
            "order_amount_threshold",
        ]


class PricingLimitsIn(serializers.Serializer):
    max_order_discount_percent = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32
    )
    max_order_discount_amount = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32
    )
    min_margin_percent = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32
    )
    order_amount_threshold = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32
    )


class RoleCapsSerializer(serializers.Serializer):
    caps = serializers.DictField(
        child=serializers.CharField(allow_null=True, max_length=32),
        help_text="{role: max manual discount %}; null removes the role's cap.",
    )


class DiscountBudgetOut(serializers.ModelSerializer):
    manager_name = serializers.SerializerMethodField()

    class Meta:
        model = DiscountBudget
        fields = ["id", "manager", "manager_name", "period_start", "period_end", "amount"]

    def get_manager_name(self, budget) -> str:
        return budget.manager.get_full_name() or budget.manager.get_username()


class DiscountBudgetIn(serializers.Serializer):
    manager = serializers.IntegerField(min_value=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    amount = serializers.CharField(max_length=32)


class PriceImportIn(serializers.Serializer):
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=PriceImport.Mode.choices, default="add")


class ImportErrorOut(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    value = serializers.CharField()


class PriceImportOut(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    mode = serializers.CharField()
    status = serializers.CharField()
    rows_total = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    errors = ImportErrorOut(many=True)
    preview = serializers.ListField(child=serializers.DictField())
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
