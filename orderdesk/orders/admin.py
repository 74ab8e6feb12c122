"""Orders in the Django admin: for looking and fixing reference data, not for order work.

Orders and lines are read-only here; every change to an order goes through the services
(the pages, the API, the commands) so that rules and history apply.
"""

from django.contrib import admin

from .models import (
    Amendment,
    CancellationReason,
    DeliveryScheduleEntry,
    Order,
    OrderLine,
    OrderTemplate,
    OrderTemplateLine,
    TermRight,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "position",
        "product",
        "quantity",
        "unit_price",
        "discount_percent",
        "vat_rate",
        "net_amount",
        "vat_amount",
        "gross_amount",
        "price_source",
    ]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "order_date",
        "customer",
        "status",
        "fulfillment_status",
        "payment_status",
        "gross_amount",
        "currency",
        "manager",
    ]
    list_filter = ["status", "fulfillment_status", "payment_status", "currency"]
    search_fields = ["number", "customer__short_name", "customer__tax_id", "customer_reference"]
    date_hierarchy = "order_date"
    list_select_related = ["customer", "manager", "currency"]
    inlines = [OrderLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CancellationReason)
class CancellationReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "requires_text", "active"]
    list_editable = ["active"]


@admin.register(TermRight)
class TermRightAdmin(admin.ModelAdmin):
    """Read-only here: the matrix is changed on the "Rights on terms" page (orders/term-rights/)
    or through the API, which record every change (services.term_rights_set)."""

    list_display = ["role", "term"]
    list_filter = ["role", "term"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TemplateLineInline(admin.TabularInline):
    model = OrderTemplateLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(OrderTemplate)
class OrderTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "shared", "created_at"]
    inlines = [TemplateLineInline]


@admin.register(Amendment)
class AmendmentAdmin(admin.ModelAdmin):
    list_display = ["order", "revision", "created_by", "created_at"]
    readonly_fields = ["order", "revision", "reason", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False


admin.site.register(DeliveryScheduleEntry)
