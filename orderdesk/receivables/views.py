"""Ledger pages: the customer statement (акт звірки) and the open items list."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from orderdesk.core.errors import DomainError, NotFound
from orderdesk.core.roles import has_role
from orderdesk.core.services import base_currency

from .registrations import LEDGER_VIEWERS, STATEMENT_EXPORTS
from .selectors import currencies_of, customer_for, open_items_for, statement


def _date(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return default


@login_required
@require_GET
def customer_statement(request, pk: int):
    """The statement of a customer the user may see, for a period and a currency."""
    try:
        customer = customer_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("No such customer.")) from None
    today = timezone.localdate()
    date_from = _date(request.GET.get("date_from"), today.replace(day=1))
    date_to = _date(request.GET.get("date_to"), today)
    currency = (request.GET.get("currency") or base_currency()).upper()
    status = 200
    try:
        st = statement(customer=customer, currency=currency, date_from=date_from, date_to=date_to)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        st, status = None, exc.status
    query = request.GET.urlencode()
    exports = [
        (label, f"{reverse(url_name, args=[customer.pk])}?{query}")
        for label, url_name in STATEMENT_EXPORTS
    ]
    return render(
        request,
        "receivables/statement.html",
        {
            "customer": customer,
            "st": st,
            "date_from": date_from,
            "date_to": date_to,
            "currency": currency,
            "currencies": sorted(set(currencies_of(customer)) | {base_currency()}),
            "exports": exports,
        },
        status=status,
    )


@login_required
@require_GET
def open_items(request):
    """Open items of the customers the user may see, optionally as of a past date."""
    if not has_role(request.user, *LEDGER_VIEWERS):
        raise Http404(_("No such page."))
    as_of = _date(request.GET.get("as_of"), None) if request.GET.get("as_of") else None
    try:
        items = open_items_for(
            user=request.user,
            customer=request.GET.get("customer"),
            currency=request.GET.get("currency"),
            side=request.GET.get("side") or None,
            as_of=as_of,
        )
        rows = list(items.select_related("customer")[:500])
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        rows = []
    return render(
        request,
        "receivables/open_items.html",
        {"items": rows, "as_of": as_of, "today": timezone.localdate(), "filters": request.GET},
    )
