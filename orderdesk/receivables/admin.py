"""Admin: the ledger is read-only here; it changes only through the services."""

from django.contrib import admin

from .models import Allocation, OpenItem


@admin.register(OpenItem)
class OpenItemAdmin(admin.ModelAdmin):
    list_display = (
        "doc_number", "customer", "side", "kind", "posting_date", "due_date", "amount",
        "open_amount", "currency",
    )  # fmt: skip
    list_filter = ("side", "kind", "currency")
    search_fields = ("doc_number", "customer__short_name", "customer__tax_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Allocation)
class AllocationAdmin(OpenItemAdmin):
    list_display = (
        "debit",
        "credit",
        "date",
        "amount",
        "credit_amount",
        "exchange_difference",
        "reversed_on",
    )
    list_filter = ("date",)
    search_fields = ("debit__doc_number", "credit__doc_number")
