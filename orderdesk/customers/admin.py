"""Customers and trade-terms admin: saves go through customers.services (rights, history)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from orderdesk.core.admin import ServiceAdminMixin, adopt

from . import services
from .models import (
    Contact,
    Customer,
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
    PaymentTermsInstalment,
    SalesTeam,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = services.CONTACT_FIELDS


@admin.register(Customer)
class CustomerAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.customer_create)
    update_service = staticmethod(services.customer_update)
    update_kwarg = "customer"
    list_display = ["short_name", "legal_name", "tax_id", "group", "manager", "active"]
    list_filter = ["active", "group"]
    search_fields = ["short_name", "legal_name", "tax_id", "email", "phone"]
    list_select_related = ["group", "manager"]
    autocomplete_fields = ["manager", "group"]
    inlines = [ContactInline]

    def save_formset(self, request, form, formset, change):
        """Contacts through the contact services, in the customer's history."""
        customer = form.instance
        deleted = formset.deleted_forms
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for f in formset.forms:
            if f in deleted:
                if f.instance.pk:
                    formset.deleted_objects.append(f.instance)
                    services.contact_remove(by=request.user, contact=f.instance)
            elif f.has_changed():
                data = {k: f.cleaned_data[k] for k in services.CONTACT_FIELDS}
                if f.instance.pk:
                    contact = services.contact_update(by=request.user, contact=f.instance, **data)
                    formset.changed_objects.append((contact, f.changed_data))
                else:
                    contact = services.contact_add(by=request.user, customer=customer, **data)
                    formset.new_objects.append(contact)


@admin.register(Contact)
class ContactAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.contact_add)
    update_service = staticmethod(services.contact_update)
    update_kwarg = "contact"
    list_display = ["name", "customer", "position", "phone", "email", "is_primary"]
    search_fields = ["name", "email", "phone", "customer__short_name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]

    def service_input(self, form, change):
        data = super().service_input(form, change)
        if change:
            data.pop("customer", None)  # a contact stays with its customer
        return data

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        services.contact_remove(by=request.user, contact=obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            services.contact_remove(by=request.user, contact=contact)


@admin.register(CustomerGroup)
class CustomerGroupAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.customer_group_create)
    update_service = staticmethod(services.customer_group_update)
    update_kwarg = "group"
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(SalesTeam)
class SalesTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "head"]
    search_fields = ["name", "head__username", "head__last_name"]
    autocomplete_fields = ["head"]
    filter_horizontal = ["members"]


class InstalmentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        total = sum((d.get("share_percent") or Decimal(0) for d in kept), Decimal(0))
        if total != 100:
            raise forms.ValidationError(
                _("The shares add up to %(t)s %%, not 100 %%.") % {"t": total},
                code="instalments_not_100",
            )


class InstalmentInline(admin.TabularInline):
    model = PaymentTermsInstalment
    formset = InstalmentFormSet
    extra = 0
    min_num = 1
    fields = ["position", "share_percent", "trigger", "days"]


@admin.register(PaymentTerms)
class PaymentTermsAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The header and its schedule are saved together by one service call."""

    list_display = ["code", "name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    inlines = [InstalmentInline]

    def save_model(self, request, obj, form, change):
        form.service_header = self.service_input(form, change)  # saved with the schedule

    def save_related(self, request, form, formsets, change):
        rows = sorted(
            (
                f.cleaned_data
                for f in formsets[0].forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ),
            key=lambda d: d.get("position") or 0,
        )
        schedule = [
            services.InstalmentInput(d["share_percent"], d["trigger"], d.get("days") or 0)
            for d in rows
        ]
        if change:
            saved = services.payment_terms_update(
                by=request.user, terms=form.instance, instalments=schedule, **form.service_header
            )
        else:
            saved = services.payment_terms_create(
                by=request.user, instalments=schedule, **form.service_header
            )
        adopt(form.instance, saved)
        # what the admin's change message lists
        formsets[0].new_objects, formsets[0].deleted_objects = [], []
        formsets[0].changed_objects = (
            [(saved, ["instalments"])] if formsets[0].has_changed() else []
        )


@admin.register(PaymentTermsInstalment)
class PaymentTermsInstalmentAdmin(admin.ModelAdmin):
    """Read-only list: a schedule changes as a whole on its payment terms."""

    list_display = ["terms", "position", "share_percent", "trigger", "days"]
    list_filter = ["trigger"]
    search_fields = ["terms__code", "terms__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.payment_method_create)
    update_service = staticmethod(services.payment_method_update)
    update_kwarg = "method"
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


@admin.register(DeliveryMethod)
class DeliveryMethodAdmin(ServiceAdminMixin, admin.ModelAdmin):
    create_service = staticmethod(services.delivery_method_create)
    update_service = staticmethod(services.delivery_method_update)
    update_kwarg = "method"
    list_display = ["code", "name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
