"""Warehouse pages: the queue of released orders, shipment entry (for a tablet), stock,
shipments and line cancellations; and the order card's warehouse actions.

Every order is looked up through the user's order scope (404 for what the user may not
see: the warehouse never reaches an unreleased order); every write is one service call.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orderdesk.billing.permissions import can_view_billing
from orderdesk.catalog.models import Warehouse
from orderdesk.core.errors import DomainError
from orderdesk.core.roles import has_role
from orderdesk.core.views import render_domain_error
from orderdesk.orders.models import CancellationReason

from . import selectors, services
from .permissions import STOCK_VIEWERS, WAREHOUSE_PAGES, can_keep_stock, can_ship


def _order(request, pk: int):
    order = (
        selectors.scoped_orders(request.user)
        .select_related("customer", "warehouse")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404(_("No such order."))
    return order


def _require(request, roles) -> None:
    if not has_role(request.user, *roles):
        raise PermissionDenied(_("This page is for the warehouse."))


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@login_required
def queue(request):
    _require(request, WAREHOUSE_PAGES)
    warehouse = _int(request.GET.get("warehouse"))
    return render(
        request,
        "fulfillment/queue.html",
        {
            "rows": selectors.warehouse_queue(request.user, warehouse=warehouse),
            "warehouses": Warehouse.objects.filter(active=True),
            "warehouse": warehouse,
        },
    )


def _ship_context(request, order, values=None):
    states = [s for s in selectors.line_states(order) if s.open > 0 or s.released > 0]
    return {"order": order, "states": states, "values": values or {}}


@login_required
def ship(request, pk: int):
    """Shipment entry: one column, big fields and buttons, the released quantity prefilled."""
    _require(request, WAREHOUSE_PAGES)
    order = _order(request, pk)
    if request.method != "POST":
        return render(request, "fulfillment/ship.html", _ship_context(request, order))
    if not can_ship(request.user):
        raise PermissionDenied(_("Only the warehouse records shipments."))
    values = {}
    lines = []
    for state in selectors.line_states(order):
        raw = (request.POST.get(f"qty_{state.line.pk}") or "").strip().replace(",", ".")
        values[state.line.pk] = raw
        if raw and raw not in ("0", "0.0", "0.000"):
            lines.append((state.line.pk, raw))
    try:
        shipment = services.shipment_create(
            by=request.user,
            order=order.pk,
            lines=lines,
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        return render_domain_error(
            request, exc, "fulfillment/ship.html", _ship_context(request, order, values)
        )
    messages.success(request, _("Shipment %(n)s confirmed.") % {"n": shipment.number})
    return redirect("fulfillment:queue")


@login_required
def pick(request, pk: int):
    """The printable pick list of a released order (what is released and not yet shipped,
    per line, in the order's warehouse); POST marks it picked and goes on to the shipment."""
    _require(request, WAREHOUSE_PAGES)
    order = _order(request, pk)
    context = {"order": order, "rows": selectors.pick_list(order), "today": timezone.localdate()}
    if request.method != "POST":
        return render(request, "fulfillment/pick.html", context)
    try:
        services.order_mark_picked(by=request.user, order=order.pk)
    except DomainError as exc:
        return render_domain_error(request, exc, "fulfillment/pick.html", context)
    messages.success(request, _("Order %(n)s is picked.") % {"n": order.number})
    return redirect("fulfillment:ship", pk=order.pk)


@login_required
def stock(request):
    _require(request, STOCK_VIEWERS)
    warehouse = _int(request.GET.get("warehouse"))
    q = request.GET.get("q", "").strip()
    context = {
        "rows": selectors.stock_list(warehouse=warehouse, q=q)[:500],
        "warehouses": Warehouse.objects.filter(active=True),
        "warehouse": warehouse,
        "q": q,
        "may_keep": can_keep_stock(request.user),
        "moves": selectors.stock_moves(warehouse=warehouse)[:20],
    }
    if request.method == "POST":
        if not context["may_keep"]:
            raise PermissionDenied(_("Only the warehouse or an administrator changes stock."))
        action = (
            services.stock_receive
            if request.POST.get("kind") == "receipt"
            else services.stock_adjust
        )
        try:
            action(
                by=request.user,
                product=request.POST.get("product", ""),
                warehouse=request.POST.get("warehouse", ""),
                quantity=(request.POST.get("quantity") or "").replace(",", "."),
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            return render_domain_error(request, exc, "fulfillment/stock.html", context)
        messages.success(request, _("Stock updated."))
        return redirect(request.get_full_path())
    return render(request, "fulfillment/stock.html", context)


@login_required
def shipments(request):
    _require(request, WAREHOUSE_PAGES)
    rows = selectors.shipments_for(request.user, order=_int(request.GET.get("order")))[:200]
    context = {"rows": rows, "show_invoice": can_view_billing(request.user, "invoice")}
    return render(request, "fulfillment/shipments.html", context)


@login_required
@require_GET
def shipment(request, pk: int):
    """One shipment: its order and documents, and what left the warehouse per line (how much
    of it came out of the order's reservation)."""
    _require(request, WAREHOUSE_PAGES)
    found = selectors.shipments_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such shipment."))
    lines = sorted(found.lines.all(), key=lambda sl: sl.line.position)
    context = {
        "shipment": found,
        "lines": lines,
        "show_invoice": can_view_billing(request.user, "invoice"),  # not the warehouse's
    }
    return render(request, "fulfillment/shipment.html", context)


@login_required
def cancellations(request):
    """Cancelled lines and the count per reason (for the head of sales and the reports)."""
    rows = selectors.cancellations_for(request.user, reason=request.GET.get("reason") or None)
    summary = (
        selectors.cancellations_for(request.user)
        .values("reason__code", "reason__name")
        .annotate(lines=Count("id"), quantity=Sum("quantity"))
        .order_by("-lines")
    )
    return render(
        request,
        "fulfillment/cancellations.html",
        {
            "rows": rows[:200],
            "summary": summary,
            "reasons": CancellationReason.objects.all(),
            "reason": request.GET.get("reason", ""),
        },
    )


def _card_action(request, pk: int, call, done: str):
    order = _order(request, pk)
    try:
        call(order)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
    else:
        messages.success(request, done % {"number": order.number})
    return redirect("orders:detail", pk=order.pk)


@login_required
@require_POST
def reserve(request, pk: int):
    return _card_action(
        request,
        pk,
        lambda order: services.order_reserve(by=request.user, order=order.pk),
        _("Stock reserved for order %(number)s."),
    )


@login_required
@require_POST
def release(request, pk: int):
    return _card_action(
        request,
        pk,
        lambda order: services.order_release(by=request.user, order=order.pk),
        _("Order %(number)s released to the warehouse."),
    )


@login_required
@require_POST
def cancel_line(request, pk: int, line_pk: int):
    return _card_action(
        request,
        pk,
        lambda order: services.line_cancel(
            by=request.user,
            order=order.pk,
            line=line_pk,
            quantity=(request.POST.get("quantity") or "").replace(",", ".") or None,
            reason=request.POST.get("reason", ""),
            comment=request.POST.get("comment", ""),
        ),
        _("Line of order %(number)s cancelled."),
    )
