"""Admin: the company profile and billing policies are edited here; documents and payments
are read-only (they change only through the services, which keep the ledger and history)."""

from django.contrib import admin

from .models import (
    BillingPolicy,
    CashReceipt,
    CompanyProfile,
    CreditNote,
    DeliveryNote,
    Invoice,
    Payment,
)


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_id", "vat_number", "iban")

    def has_add_permission(self, request):
        return not CompanyProfile.objects.exists()


@admin.register(BillingPolicy)
class BillingPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "prepayment_invoice_on_confirm",
        "invoice_mode",
        "delivery_note_per_shipment",
        "post_automatically",
    )
    raw_id_fields = ("contract",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "status", "customer", "order", "payable_amount", "currency")
    list_filter = ("status", "kind")
    search_fields = ("number", "order__number", "customer__short_name")


@admin.register(DeliveryNote)
class DeliveryNoteAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "customer", "order", "gross_amount", "currency")
    list_filter = ("status",)
    search_fields = ("number", "order__number")


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "reason", "status", "customer", "credit_amount", "currency")
    list_filter = ("status", "reason")


@admin.register(CashReceipt)
class CashReceiptAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "customer", "gross_amount", "currency")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "payment_date", "customer", "amount", "currency", "status")
    list_filter = ("status", "method")
    search_fields = ("bank_reference", "purpose", "customer__short_name")
