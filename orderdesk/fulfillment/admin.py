from django.contrib import admin

from .models import FulfillmentSettings


@admin.register(FulfillmentSettings)
class FulfillmentSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "close_partially_shipped",
        "reserve_on_confirm",
    ]

    def has_add_permission(self, request):
        return not FulfillmentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
