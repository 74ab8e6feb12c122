"""Admin for currencies and rates, and the mixin that routes admin saves through services.

The admin is one more path into the system, so it obeys the same rules as the pages and the
API: `ServiceAdminMixin` hands the validated form to the app's create/update service (which
checks rights, locks and records history) instead of saving the model directly. A refusal
the form could not foresee comes back as an error message on the same page, not a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from .errors import DomainError
from .models import Currency, ExchangeRate


class ServiceAdminMixin:
    create_service: Callable | None = None
    update_service: Callable | None = None
    update_kwarg: str = "obj"

    def service_input(self, form, change: bool) -> dict:
        """The form's values for the service: every field on create, the changed on update."""
        names = form.changed_data if change else list(form.cleaned_data)
        return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}

    def has_delete_permission(self, request, obj=None):
        # master data is deactivated, not deleted: its history and documents refer to it
        return False

    def save_model(self, request, obj, form, change):
        data = self.service_input(form, change)
        if change:
            saved = type(self).update_service(by=request.user, **{self.update_kwarg: obj}, **data)
        else:
            saved = type(self).create_service(by=request.user, **data)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # many-to-many values went through the service; inlines decide in save_formset
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, f"{exc.detail} ({exc.code})", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def adopt(obj, saved) -> None:
    """Make the admin's unsaved instance the saved row (the admin logs and redirects by it)."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "symbol", "minor_unit", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "date", "rate", "units"]
    list_filter = ["currency"]
    date_hierarchy = "date"
    search_fields = ["currency__code"]
