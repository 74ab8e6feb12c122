"""Customer pages: list, card (with panels other apps add), create, edit, contacts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from orderdesk.audit.selectors import timeline
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError, NotFound
from orderdesk.core.panels import render_panels
from orderdesk.core.views import HtmxTemplateMixin, error_status

from . import selectors, services
from .forms import ContactForm, CustomerForm, attach_error


def visible_customer(request, pk):
    """The customer if the user may see it; a 404 otherwise (existence is not revealed)."""
    try:
        return selectors.customer_get_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


class CustomerListView(LoginRequiredMixin, HtmxTemplateMixin, ListView):
    template_name = "customers/list.html"
    fragment_template_name = "customers/_table.html"
    paginate_by = 25
    context_object_name = "customers"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.can_view_customers(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.customer_list_for(user=self.request.user, q=self.request.GET.get("q", ""))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["q"] = self.request.GET.get("q", "")
        ctx["can_create"] = selectors.can_create_customer(self.request.user)
        return ctx


class CustomerDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        customer = visible_customer(request, pk)
        history = timeline(stream_of(customer)).select_related("actor").order_by("-seq")[:30]
        return render(
            request,
            "customers/detail.html",
            {
                "customer": customer,
                "contacts": customer.contacts.all(),
                "can_edit": selectors.can_edit_customer(request.user, customer),
                "can_edit_contacts": selectors.can_edit_contacts(request.user, customer),
                "panels": render_panels("customer_card", request, customer),
                "history": history,
            },
        )


class CustomerFormView(LoginRequiredMixin, View):
    """New customer (pk=None) or the edit of one; the service checks rights and input."""

    template_name = "customers/form.html"

    def setup_customer(self, request, pk):
        if pk is None:
            if not selectors.can_create_customer(request.user):
                raise PermissionDenied
            return None
        customer = visible_customer(request, pk)
        if not selectors.can_edit_customer(request.user, customer):
            raise PermissionDenied
        return customer

    def page(self, request, form, customer, status=200):
        return render(
            request, self.template_name, {"form": form, "customer": customer}, status=status
        )

    def get(self, request, pk=None):
        customer = self.setup_customer(request, pk)
        return self.page(request, CustomerForm(user=request.user, customer=customer), customer)

    def post(self, request, pk=None):
        customer = self.setup_customer(request, pk)
        form = CustomerForm(request.POST, user=request.user, customer=customer)
        if not form.is_valid():
            return self.page(request, form, customer, status=400)
        try:
            if customer is None:
                customer = services.customer_create(by=request.user, **form.cleaned_data)
                messages.success(request, _("Customer created."))
            else:
                services.customer_update(by=request.user, customer=customer, **form.cleaned_data)
                messages.success(request, _("Customer saved."))
        except DomainError as exc:
            attach_error(form, exc)
            return self.page(request, form, customer, status=error_status(exc))
        return redirect("customers:detail", pk=customer.pk)


class ContactFormView(LoginRequiredMixin, View):
    """Add (contact_pk=None) or change a contact of a customer the user keeps."""

    template_name = "customers/contact_form.html"

    def setup_contact(self, request, pk, contact_pk):
        customer = visible_customer(request, pk)
        if not selectors.can_edit_contacts(request.user, customer):
            raise PermissionDenied
        if contact_pk is None:
            return customer, None
        try:
            contact = selectors.contact_get_for(
                user=request.user, customer_pk=customer.pk, pk=contact_pk
            )
        except NotFound:
            raise Http404 from None
        return customer, contact

    def page(self, request, form, customer, contact, status=200):
        ctx = {"form": form, "customer": customer, "contact": contact}
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk, contact_pk=None):
        customer, contact = self.setup_contact(request, pk, contact_pk)
        return self.page(request, ContactForm(contact=contact), customer, contact)

    def post(self, request, pk, contact_pk=None):
        customer, contact = self.setup_contact(request, pk, contact_pk)
        form = ContactForm(request.POST, contact=contact)
        if not form.is_valid():
            return self.page(request, form, customer, contact, status=400)
        try:
            if contact is None:
                services.contact_add(by=request.user, customer=customer, **form.cleaned_data)
            else:
                services.contact_update(by=request.user, contact=contact, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
            return self.page(request, form, customer, contact, status=error_status(exc))
        messages.success(request, _("Contact saved."))
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")


class ContactDeleteView(ContactFormView):
    http_method_names = ["post"]

    def post(self, request, pk, contact_pk=None):
        customer, contact = self.setup_contact(request, pk, contact_pk)
        try:
            services.contact_remove(by=request.user, contact=contact)
            messages.success(request, _("Contact removed."))
        except DomainError as exc:
            messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
