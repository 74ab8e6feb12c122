"""History in the admin: to read and search, never to add, change or delete (append-only)."""

from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "stream", "seq", "action", "object_repr", "actor_name"]
    list_filter = ["object_type"]
    search_fields = ["stream", "action", "object_repr", "actor_name", "object_id"]
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at", "-id"]
    readonly_fields = [f.name for f in Event._meta.fields]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
