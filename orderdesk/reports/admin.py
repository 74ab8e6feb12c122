from django.contrib import admin

from .models import SavedReport


@admin.register(SavedReport)
class SavedReportAdmin(admin.ModelAdmin):
    list_display = ("name", "report", "owner", "visibility", "shared_role", "updated_at")
    list_filter = ("report", "visibility", "shared_role")
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner",)
