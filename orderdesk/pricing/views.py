"""Pricing pages: contract create/edit (from the customer card), price lists and their prices."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from orderdesk.core.errors import DomainError, NotFound
from orderdesk.core.services import base_currency
from orderdesk.core.views import HtmxTemplateMixin, error_status
from orderdesk.customers.forms import attach_error
from orderdesk.customers.selectors import can_edit_contracts, customer_get_for, is_administrator

from . import selectors, services
from .files import csv_response, xlsx_response
from .forms import ContractForm, ContractPriceForm, PriceImportForm, PriceItemForm
from .models import RoleDiscountCap


def _or_404(func, **kwargs):
    try:
        return func(**kwargs)
    except NotFound:
        raise Http404 from None


class ContractFormView(LoginRequiredMixin, View):
    """New contract (`?customer=<pk>`) or the edit of one; administrators and the head of the
    customer's team only (the service decides, the page hides what it would refuse)."""

    template_name = "pricing/contract_form.html"

    def setup_contract(self, request, pk):
        if pk is None:
            customer = _or_404(customer_get_for, user=request.user, pk=request.GET.get("customer"))
            contract = None
        else:
            contract = _or_404(selectors.contract_get_for, user=request.user, pk=pk)
            customer = contract.customer
        if not can_edit_contracts(request.user, customer):
            raise PermissionDenied
        return customer, contract

    def page(self, request, form, customer, contract, status=200):
        ctx = {"form": form, "customer": customer, "contract": contract}
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk=None):
        customer, contract = self.setup_contract(request, pk)
        form = ContractForm(contract=contract)
        if contract is None:
            form.initial = {
                "date": dt.date.today(),
                "currency": base_currency(),
                "active": True,
                # the customer's first contract is its default
                "is_default": not customer.contracts.filter(is_default=True).exists(),
            }
        return self.page(request, form, customer, contract)

    def post(self, request, pk=None):
        customer, contract = self.setup_contract(request, pk)
        form = ContractForm(request.POST, contract=contract)
        if not form.is_valid():
            return self.page(request, form, customer, contract, status=400)
        try:
            if contract is None:
                services.contract_create(by=request.user, customer=customer, **form.cleaned_data)
            else:
                services.contract_update(by=request.user, contract=contract, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
            return self.page(request, form, customer, contract, status=error_status(exc))
        messages.success(request, _("Contract saved."))
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#contracts")


class PricesVisibleMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.can_view_prices(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PriceListListView(PricesVisibleMixin, ListView):
    template_name = "pricing/price_lists.html"
    context_object_name = "price_lists"
    paginate_by = 50

    def get_queryset(self):
        return selectors.price_list_list(q=self.request.GET.get("q", "").strip())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "q": self.request.GET.get("q", "")}


class PriceListDetailView(PricesVisibleMixin, HtmxTemplateMixin, ListView):
    """A price list with its prices (searchable); administrators add and change prices."""

    template_name = "pricing/price_list.html"
    fragment_template_name = "pricing/_price_items.html"
    context_object_name = "items"
    paginate_by = 50

    def get_queryset(self):
        self.price_list = _or_404(selectors.price_list_get, pk=self.kwargs["pk"])
        return selectors.price_items(
            price_list=self.price_list, q=self.request.GET.get("q", "").strip()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            price_list=self.price_list,
            q=self.request.GET.get("q", ""),
            can_edit=is_administrator(self.request.user),
        )
        return ctx


class PriceItemFormView(PricesVisibleMixin, View):
    """Add (item_pk=None) or change a price of a list; administrators only."""

    template_name = "pricing/price_item_form.html"

    def setup_item(self, request, pk, item_pk):
        if not is_administrator(request.user):
            raise PermissionDenied
        price_list = _or_404(selectors.price_list_get, pk=pk)
        item = None
        if item_pk is not None:
            item = _or_404(selectors.price_item_get, price_list=price_list, pk=item_pk)
        return price_list, item

    def page(self, request, form, price_list, item, status=200):
        ctx = {"form": form, "price_list": price_list, "item": item}
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk, item_pk=None):
        price_list, item = self.setup_item(request, pk, item_pk)
        form = PriceItemForm(item=item, initial={"valid_from": dt.date.today()})
        return self.page(request, form, price_list, item)

    def post(self, request, pk, item_pk=None):
        price_list, item = self.setup_item(request, pk, item_pk)
        form = PriceItemForm(request.POST, item=item)
        if not form.is_valid():
            return self.page(request, form, price_list, item, status=400)
        try:
            if item is None:
                services.price_item_add(
                    by=request.user, price_list=price_list, **form.service_input()
                )
            else:
                services.price_item_update(by=request.user, item=item, **form.service_input())
        except DomainError as exc:
            attach_error(form, exc)
            return self.page(request, form, price_list, item, status=error_status(exc))
        messages.success(request, _("Price saved."))
        return redirect("pricing:price_list", pk=price_list.pk)


# --- import and export ---------------------------------------------------------------------------


class AdminOnlyMixin(PricesVisibleMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_administrator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PriceExportView(PricesVisibleMixin, View):
    """The list's own prices as CSV (streamed) or XLSX (`?format=xlsx`)."""

    def get(self, request, pk):
        price_list = _or_404(selectors.price_list_get, pk=pk)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(price_list)
        return csv_response(price_list)


class PriceImportView(AdminOnlyMixin, View):
    """Upload (GET the form, POST the file: the preview with every row error), then apply."""

    template_name = "pricing/price_import.html"

    def page(self, request, price_list, form, result=None, status=200):
        ctx = {
            "price_list": price_list,
            "form": form,
            "result": result,
            "errors": result.errors[: services.transfer.SHOWN_ERRORS] if result else [],
            "preview": result.rows[:20] if result else [],
        }
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        price_list = _or_404(selectors.price_list_get, pk=pk)
        return self.page(request, price_list, PriceImportForm())

    def post(self, request, pk):
        price_list = _or_404(selectors.price_list_get, pk=pk)
        form = PriceImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, price_list, form, status=400)
        upload = form.cleaned_data["file"]
        try:
            result = services.price_import_preview(
                by=request.user,
                price_list=price_list,
                file=upload,
                file_name=upload.name,
                mode=form.cleaned_data["mode"],
            )
        except DomainError as exc:
            attach_error(form, exc)
            return self.page(request, price_list, form, status=error_status(exc))
        return self.page(request, price_list, form, result)


class PriceImportApplyView(AdminOnlyMixin, View):
    def post(self, request, pk, import_pk):
        price_list = _or_404(selectors.price_list_get, pk=pk)
        price_import = _or_404(selectors.price_import_get, price_list=price_list, pk=import_pk)
        try:
            result = services.price_import_apply(by=request.user, price_import=price_import)
        except DomainError as exc:
            messages.error(request, f"{exc.detail} ({exc.code})")
            return redirect("pricing:price_import", pk=price_list.pk)
        messages.success(
            request,
            _("Imported %(added)s prices (%(removed)s removed).")
            % {"added": result.added, "removed": result.removed},
        )
        return redirect("pricing:price_list", pk=price_list.pk)


# --- contract prices, discounts -----------------------------------------------------------------


class ContractPricesView(LoginRequiredMixin, View):
    """A contract's individual prices; whoever may change the contract adds and changes them."""

    template_name = "pricing/contract_prices.html"

    def setup_contract(self, request, pk):
        contract = _or_404(selectors.contract_get_for, user=request.user, pk=pk)
        return contract, can_edit_contracts(request.user, contract.customer)

    def page(self, request, contract, can_edit, form, status=200):
        ctx = {
            "contract": contract,
            "customer": contract.customer,
            "prices": selectors.contract_prices(contract=contract),
            "can_edit": can_edit,
            "form": form,
        }
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        contract, can_edit = self.setup_contract(request, pk)
        form = ContractPriceForm(initial={"valid_from": dt.date.today()}) if can_edit else None
        return self.page(request, contract, can_edit, form)

    def post(self, request, pk):
        contract, can_edit = self.setup_contract(request, pk)
        if not can_edit:
            raise PermissionDenied
        if "remove" in request.POST:
            item = _or_404(
                selectors.contract_price_get, contract=contract, pk=request.POST["remove"]
            )
            try:
                services.contract_price_remove(by=request.user, item=item)
            except DomainError as exc:
                messages.error(request, f"{exc.detail} ({exc.code})")
            return redirect("pricing:contract_prices", pk=contract.pk)
        form = ContractPriceForm(request.POST)
        if not form.is_valid():
            return self.page(request, contract, can_edit, form, status=400)
        try:
            services.contract_price_add(by=request.user, contract=contract, **form.service_input())
        except DomainError as exc:
            attach_error(form, exc)
            return self.page(request, contract, can_edit, form, status=error_status(exc))
        messages.success(request, _("Price saved."))
        return redirect("pricing:contract_prices", pk=contract.pk)


class DiscountsView(PricesVisibleMixin, View):
    """What sales sell within: the discount policies, the limits, the caps and budgets."""

    def get(self, request):
        ctx = {
            "policies": selectors.discount_policy_list(),
            "limits": services.pricing_limits(),
            "caps": RoleDiscountCap.objects.order_by("role"),
            "budgets": selectors.budget_list(),
            "is_admin": is_administrator(request.user),
            "my_cap": selectors.manual_discount_cap(request.user),
        }
        return render(request, "pricing/discounts.html", ctx)
