"""Pricing admin: contracts, price lists and prices saved through pricing.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from orderdesk.core.admin import ServiceAdminMixin

from . import services
from .models import Contract, PriceList, PriceListItem
from .selectors import overlapping_prices


class ContractAdminForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["customer", *services.CONTRACT_FIELDS]

    def _get_validation_exclusions(self):
        # The service moves the default (it unsets the old one first), so "one default per
        # customer" is not an input error here.
        return super()._get_validation_exclusions() | {"is_default"}


@admin.register(Contract)
class ContractAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = ContractAdminForm
    create_service = staticmethod(services.contract_create)
    update_service = staticmethod(services.contract_update)
    update_kwarg = "contract"
    list_display = [
        "number",
        "date",
        "customer",
        "currency",
        "price_list",
        "payment_terms",
        "is_default",
        "active",
    ]
    list_filter = ["active", "is_default", "currency", "payment_terms"]
    search_fields = ["number", "customer__short_name", "customer__tax_id"]
    list_select_related = ["customer", "currency", "price_list", "payment_terms"]
    autocomplete_fields = ["customer", "price_list"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request, obj=None):
        return ["customer"] if obj is not None else []


@admin.register(PriceList)
class PriceListAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.price_list_create)
    update_service = staticmethod(services.price_list_update)
    update_kwarg = "price_list"
    list_display = ["code", "name", "currency", "prices_include_vat", "active"]
    list_filter = ["active", "currency", "prices_include_vat"]
    search_fields = ["code", "name"]
    filter_horizontal = ["customer_groups"]


class PriceListItemAdminForm(forms.ModelForm):
    class Meta:
        model = PriceListItem
        fields = ["price_list", *services.ITEM_FIELDS]

    def clean(self):
        data = super().clean()
        item = self.instance
        if not self.errors and data.get("valid_from") and data.get("product"):
            clash = overlapping_prices(
                price_list_id=data["price_list"].pk
                if data.get("price_list")
                else item.price_list_id,
                product_id=data["product"].pk,
                min_quantity=data.get("min_quantity") or 0,
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
                exclude_pk=item.pk,
            ).first()
            if clash is not None:
                raise ValidationError(
                    _("Another price of this product from this quantity is valid from %(f)s.")
                    % {"f": clash.valid_from.isoformat()},
                    code="price_period_overlap",
                )
        return data


@admin.register(PriceListItem)
class PriceListItemAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = PriceListItemAdminForm
    create_service = staticmethod(services.price_item_add)
    update_service = staticmethod(services.price_item_update)
    update_kwarg = "item"
    list_display = ["price_list", "product", "min_quantity", "price", "valid_from", "valid_to"]
    list_filter = ["price_list"]
    search_fields = ["product__sku", "product__name", "price_list__code"]
    list_select_related = ["price_list", "product"]
    autocomplete_fields = ["price_list", "product"]
    date_hierarchy = "valid_from"

    def get_readonly_fields(self, request, obj=None):
        return ["price_list"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        services.price_item_remove(by=request.user, item=obj)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            services.price_item_remove(by=request.user, item=item)
