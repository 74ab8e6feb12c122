"""Admin: the ledger is read-only here; it changes only through the services."""

from django.contrib import admin

from .models import Allocation, CustomerBalance, OpenItem


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


@admin.register(CustomerBalance)
class CustomerBalanceAdmin(OpenItemAdmin):
    list_display = ("customer", "open_debit", "open_credit", "updated_at")
    list_filter = ()
    search_fields = ("customer__short_name", "customer__tax_id")
