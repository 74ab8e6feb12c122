"""Catalogue API shapes: `*Out` answers, `*In` parsed input handed to one service."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Product, ProductGroup, StockBalance, Warehouse


class ProductGroupOut(serializers.ModelSerializer):
    class Meta:
        model = ProductGroup
        fields = ["id", "code", "name", "parent"]


class ProductGroupIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=ProductGroup.objects.all(), required=False, allow_null=True
    )


class ProductOut(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "unit",
            "vat_rate",
            "cost_price",
            "cost_currency",
            "group",
            "active",
        ]


class StockOut(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    available = serializers.DecimalField(max_digits=18, decimal_places=3, read_only=True)

    class Meta:
        model = StockBalance
        fields = ["warehouse", "warehouse_code", "on_hand", "reserved", "available"]


class ProductDetailOut(ProductOut):
    stock = StockOut(source="balances", many=True, read_only=True)

    class Meta(ProductOut.Meta):
        fields = [*ProductOut.Meta.fields, "stock"]


class ProductIn(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=255)
    unit = serializers.CharField(max_length=16, required=False)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    cost_price = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    cost_currency = serializers.CharField(max_length=3, required=False)
    group = serializers.PrimaryKeyRelatedField(
        queryset=ProductGroup.objects.all(), required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)


class WarehouseOut(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "active"]


class WarehouseIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
