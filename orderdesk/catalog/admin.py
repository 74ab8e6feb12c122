"""Catalogue admin: saves go through catalog.services (rights, history)."""

from django.contrib import admin

from orderdesk.core.admin import ServiceAdminMixin

from . import services
from .models import Product, ProductGroup, StockBalance, Warehouse


@admin.register(ProductGroup)
class ProductGroupAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.product_group_create)
    update_service = staticmethod(services.product_group_update)
    update_kwarg = "group"
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Product)
class ProductAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    update_kwarg = "product"
    list_display = ["sku", "name", "group", "unit", "vat_rate", "cost_price", "active"]
    list_filter = ["active", "group", "vat_rate"]
    search_fields = ["sku", "name"]
    list_select_related = ["group"]
    autocomplete_fields = ["group"]


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.warehouse_create)
    update_service = staticmethod(services.warehouse_update)
    update_kwarg = "warehouse"
    list_display = ["code", "name", "address", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name", "address"]


@admin.register(StockBalance)
class StockBalanceAdmin(admin.ModelAdmin):
    """Read-only: stock moves through reservations and shipments, never by hand here."""

    list_display = ["product", "warehouse", "on_hand", "reserved"]
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product", "warehouse"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
