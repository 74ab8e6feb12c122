"""Entering an order: the create page and the small htmx look-ups it uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from orderdesk.core.errors import DomainError, PermissionRefused
from orderdesk.core.services import base_currency
from orderdesk.customers.models import Customer
from orderdesk.pricing.services import contract_for_order

from .. import services
from ..forms import (
    TERM_FIELDS,
    LineRows,
    OrderCreateForm,
    may_enter_orders,
    place_error,
    search_customers,
    search_products,
    sellable_customers,
    standard_initial,
    visible_customers,
)
from ..services._common import default_warehouse, standard_terms
from ._base import forbidden, refuse

SHOWN_TERMS = (*TERM_FIELDS, "delivery_address", "warehouse")


def not_a_seller() -> PermissionRefused:
    return PermissionRefused(
        _("Orders are entered by sales managers, heads of sales and administrators."),
        code="order_entry_not_permitted",
    )


def _customer(user, value: Any) -> Customer | None:
    try:
        return sellable_customers(user).filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def _default_warehouse() -> int | None:
    try:
        return default_warehouse().pk
    except DomainError:
        return None


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return timezone.localdate()


def standard_for(customer: Customer | None, contract: Any, on: dt.date):
    """The customer's standard terms under the chosen (or default) contract.

    Returns (terms, contract, error): a contract the service would refuse leaves the terms of
    the customer alone and names the error, so the page can say why.
    """
    if customer is None:
        return {}, None, None
    error = None
    try:
        chosen = contract_for_order(customer=customer, contract=contract or None, on=on)
    except DomainError as exc:
        chosen, error = None, exc
    return standard_terms(customer, chosen), chosen, error


def term_rows(form, standard: dict[str, Any], contract) -> list[dict[str, Any]]:
    """Each shown term with the contract's value and whether the form's value differs."""
    rows = []
    for name in SHOWN_TERMS:
        field = form[name]
        theirs = standard.get(name)
        ours = field.value()
        differs = (
            contract is not None
            and name in TERM_FIELDS
            and str(getattr(theirs, "pk", theirs) or "") != str(ours or "")
        )
        rows.append(
            {
                "field": field,
                "standard": "" if theirs in (None, "") else str(theirs),
                "differs": differs,
                "locked": name in form.locked,
                "is_term": name in TERM_FIELDS,
            }
        )
    return rows


def _terms_context(form, standard, contract, contract_error) -> dict[str, Any]:
    return {
        "form": form,
        "term_rows": term_rows(form, standard, contract),
        "contract": contract,
        "contract_error": contract_error,
    }


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request):
    """The create page; a POST calls services.order_create once."""
    user = request.user
    if not may_enter_orders(user):
        return forbidden(request, not_a_seller())
    data = request.POST if request.method == "POST" else None
    source = data or request.GET
    customer = _customer(user, source.get("customer"))
    on = _date(source.get("order_date") or timezone.localdate().isoformat())
    standard, contract, contract_error = standard_for(customer, source.get("contract"), on)
    initial = {
        "order_date": on,
        "partial_shipment_allowed": True,
        "currency": base_currency(),
        "warehouse": _default_warehouse(),
        **standard_initial(standard),
    }
    if customer is not None:
        initial["customer"] = customer.pk
    form = OrderCreateForm(data, user=user, customer=customer, initial=initial)
    rows = LineRows(user, data, blank=3)
    context = {
        **_terms_context(form, standard, contract, contract_error),
        "rows": rows,
        "customers": search_customers(sellable_customers(user), ""),
        "selected_customer": customer,
    }
    if data is None:
        return render(request, "orders/create.html", context)

    if not (form.is_valid() & rows.is_valid()):
        messages.error(request, _("Check the marked fields; the order was not saved."))
        return render(request, "orders/create.html", context, status=400)
    cleaned = form.cleaned_data
    try:
        order = services.order_create(
            by=user,
            customer=cleaned["customer"],
            contract=cleaned.get("contract"),
            order_date=cleaned.get("order_date"),
            lines=rows.inputs(),
            **form.header_values(),
        )
    except DomainError as exc:
        place_error(exc, form, rows.form_at)
        return refuse(request, exc, "orders/create.html", context)
    messages.success(request, _("Order %(number)s created.") % {"number": order.number})
    return redirect("orders:detail", pk=order.pk)


@login_required
@require_GET
def create_terms(request):
    """The contract list and the prefilled terms of the chosen customer (htmx)."""
    user = request.user
    customer = _customer(user, request.GET.get("customer"))
    on = _date(request.GET.get("order_date"))
    standard, contract, contract_error = standard_for(customer, request.GET.get("contract"), on)
    initial = {
        "currency": base_currency(),
        "warehouse": _default_warehouse(),
        **standard_initial(standard),
    }
    if customer is not None:
        initial["customer"] = customer.pk
    form = OrderCreateForm(user=user, customer=customer, initial=initial)
    context = _terms_context(form, standard, contract, contract_error)
    if customer is not None:  # credit control warns before any work on the order
        from ..services.credit_flow import entry_warning

        context["credit_warnings"] = entry_warning(
            customer, contract_id=getattr(contract, "pk", None)
        )
    return render(request, "orders/_create_terms.html", context)


@login_required
@require_GET
def customer_options(request):
    """<option>s of customers matching `q`: those the user sells to, or (scope=visible) sees.

    The current choice (`customer`) stays selected; a single match is chosen at once and the
    page is told (event `customer-picked`) so it can load that customer's terms.
    """
    user = request.user
    visible = request.GET.get("scope") == "visible"
    qs = visible_customers(user) if visible else sellable_customers(user)
    customers = search_customers(qs, request.GET.get("q", ""))
    selected = None
    if len(customers) == 1 and request.GET.get("q"):
        selected = customers[0]
    elif request.GET.get("customer", "").isdigit():
        selected = qs.filter(pk=int(request.GET["customer"])).first()
    response = render(
        request,
        "orders/_customer_options.html",
        {"customers": customers, "selected": selected, "blank_label": request.GET.get("blank")},
    )
    if selected is not None and len(customers) == 1:
        response["HX-Trigger-After-Settle"] = "customer-picked"
    return response


@login_required
@require_GET
def product_options(request):
    """<option>s of active products matching `q` (SKU or name)."""
    products = search_products(request.GET.get("q", ""))
    return render(request, "orders/_product_options.html", {"products": products})


@login_required
@require_GET
def line_row(request):
    """One empty line row for the create and amendment pages (a fresh row token)."""
    rows = LineRows(request.user, blank=1)
    return render(request, "orders/_line_row.html", {"row": rows.forms[0]})
