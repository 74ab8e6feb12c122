"""Admin: intermediaries are edited here or on their pages; the rest is read-only evidence."""

from django.contrib import admin

from .models import (
    Intermediary,
    IntermediaryEntry,
    PaymentHold,
    PaymentLink,
    PayoutLine,
    PayoutReport,
    ProviderEvent,
    SecurityEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Intermediary)
class IntermediaryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "commission_percent", "commission_fixed", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code", "tax_id")


@admin.register(PaymentLink)
class PaymentLinkAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "provider",
        "invoice",
        "amount",
        "currency",
        "status",
        "created_at",
    )
    list_filter = ("provider", "status")
    search_fields = ("reference", "provider_ref", "invoice__number", "order__number")
    raw_id_fields = ("invoice", "order", "customer", "payment")


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("provider", "event_id", "status", "outcome", "via", "received_at")
    list_filter = ("provider", "status", "outcome", "via")
    search_fields = ("event_id", "reference", "payment_id")


@admin.register(PaymentHold)
class PaymentHoldAdmin(ReadOnlyAdmin):
    list_display = ("provider", "amount", "currency", "reason", "status", "created_at")
    list_filter = ("provider", "reason", "status")


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "provider", "remote_addr", "detail")
    list_filter = ("kind", "provider")


@admin.register(PayoutReport)
class PayoutReportAdmin(ReadOnlyAdmin):
    list_display = ("intermediary", "number", "report_date", "gross_total", "commission_total")
    list_filter = ("intermediary",)


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyAdmin):
    list_display = ("report", "row", "reference", "gross", "commission", "net", "status")
    list_filter = ("status",)
    search_fields = ("reference", "order_number", "invoice_number")


@admin.register(IntermediaryEntry)
class IntermediaryEntryAdmin(ReadOnlyAdmin):
    list_display = ("intermediary", "entry_date", "kind", "amount", "currency")
    list_filter = ("intermediary", "kind")
