"""Pricing admin: contracts, price lists and prices saved through pricing.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from orderdesk.core.admin import ServiceAdminMixin, adopt
from orderdesk.core.errors import DomainError

from . import services
from .models import (
    Contract,
    ContractPrice,
    DiscountBudget,
    DiscountPolicy,
    PriceImport,
    PriceList,
    PriceListItem,
    PricingLimits,
    RoleDiscountCap,
)
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
    list_display = ["code", "name", "currency", "kind", "prices_include_vat", "active"]
    list_filter = ["active", "kind", "currency", "prices_include_vat"]
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


@admin.register(ContractPrice)
class ContractPriceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.contract_price_add)
    update_service = staticmethod(services.contract_price_update)
    update_kwarg = "item"
    list_display = ["contract", "product", "price", "valid_from", "valid_to"]
    search_fields = ["contract__number", "product__sku", "contract__customer__short_name"]
    list_select_related = ["contract", "product"]
    autocomplete_fields = ["contract", "product"]

    def get_readonly_fields(self, request, obj=None):
        return ["contract"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        services.contract_price_remove(by=request.user, item=obj)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            services.contract_price_remove(by=request.user, item=item)


@admin.register(DiscountPolicy)
class DiscountPolicyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Tiers as JSON: [{"from": "10", "percent": "2"}, ...], thresholds rising."""

    create_service = staticmethod(services.discount_policy_create)
    update_service = staticmethod(services.discount_policy_update)
    update_kwarg = "policy"
    list_display = ["code", "name", "kind", "percent", "priority", "stacking", "valid_from",
                    "valid_to", "active"]  # fmt: skip
    list_filter = ["kind", "stacking", "active"]
    search_fields = ["code", "name"]


@admin.register(PricingLimits)
class PricingLimitsAdmin(admin.ModelAdmin):
    list_display = ["__str__", *services.LIMIT_FIELDS]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        adopt(obj, services.pricing_limits_update(by=request.user, **data))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, f"{exc.detail} ({exc.code})", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(RoleDiscountCap)
class RoleDiscountCapAdmin(admin.ModelAdmin):
    list_display = ["role", "max_manual_discount"]

    def save_model(self, request, obj, form, change):
        services.role_caps_set(by=request.user, caps={obj.role: obj.max_manual_discount})
        saved = RoleDiscountCap.objects.get(role=obj.role)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        services.role_caps_set(by=request.user, caps={obj.role: None})

    def delete_queryset(self, request, queryset):
        services.role_caps_set(
            by=request.user, caps=dict.fromkeys(queryset.values_list("role", flat=True))
        )


@admin.register(DiscountBudget)
class DiscountBudgetAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.discount_budget_create)
    update_service = staticmethod(services.discount_budget_update)
    update_kwarg = "budget"
    list_display = ["manager", "period_start", "period_end", "amount"]
    list_filter = ["manager"]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        services.discount_budget_remove(by=request.user, budget=obj)

    def delete_queryset(self, request, queryset):
        for budget in queryset:
            services.discount_budget_remove(by=request.user, budget=budget)


@admin.register(PriceImport)
class PriceImportAdmin(admin.ModelAdmin):
    """Uploads are made and applied on the price list page; here they are only looked at."""

    list_display = ["file_name", "price_list", "mode", "status", "rows_total", "error_count",
                    "created_by", "created_at", "applied_at"]  # fmt: skip
    list_filter = ["status", "mode"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
