from django.contrib import admin

from .models import Approval, ApprovalRule, ApprovalTask, Delegation, RuleStage


class RuleStageInline(admin.TabularInline):
    model = RuleStage
    extra = 1
    filter_horizontal = ("users",)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    """Rules as data. The admin form saves the rows as they are; the API and
    `services.rule_save` refuse a rule with an empty route (`approval_route_empty`)."""

    list_display = ("name", "kind", "threshold", "active")
    list_filter = ("kind", "active")
    inlines = [RuleStageInline]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ("user", "deputy", "valid_from", "valid_to")


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = ("subject_number", "customer_name", "status", "version", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Approval._meta.fields]

    # workflow records change only through the services (rules, locks, history)
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalTask)
class ApprovalTaskAdmin(admin.ModelAdmin):
    list_display = ("approval", "assignee", "status", "due_at", "escalated")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ApprovalTask._meta.fields]

    # workflow records change only through the services (rules, locks, history)
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
