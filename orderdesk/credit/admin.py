from django.contrib import admin

from .models import CreditAccount, CreditHold, CreditLimit


@admin.register(CreditLimit)
class CreditLimitAdmin(admin.ModelAdmin):
    """Read here; limits are set through the API / `services.limit_set` (rate conversion,
    rights, history)."""

    list_display = (
        "__str__",
        "customer",
        "contract",
        "group",
        "amount",
        "mode",
        "valid_from",
        "set_by",
    )
    list_filter = ("mode",)
    readonly_fields = [f.name for f in CreditLimit._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CreditAccount)
class CreditAccountAdmin(admin.ModelAdmin):
    list_display = ("customer", "committed_amount", "blocked", "block_kind", "block_reason")
    readonly_fields = [f.name for f in CreditAccount._meta.fields]

    # workflow records change only through the services (rules, locks, history)
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditHold)
class CreditHoldAdmin(admin.ModelAdmin):
    list_display = ("order_number", "customer", "amount", "status", "held_at", "released_by")
    list_filter = ("status",)
    readonly_fields = [f.name for f in CreditHold._meta.fields]

    # workflow records change only through the services (rules, locks, history)
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
