"""The order card and everything done from it: draft editing (htmx) and the lifecycle actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orderdesk.core.errors import DomainError
from orderdesk.core.panels import render_panels

from .. import services
from ..choices import SYSTEM_ACTIONS, TRANSITIONS, OrderAction, Term
from ..forms import (
    CancelForm,
    HeaderForm,
    LineChangeForm,
    LineForm,
    ScheduleForm,
    TemplateSaveForm,
    header_initial,
    place_error,
)
from ..models import Order
from ..permissions import (
    allowed_terms,
    can_edit_order,
    can_manage_templates,
    can_sell_to,
    order_scope,
)
from ..selectors import order_differences
from ._base import get_order, is_htmx, refuse
from ._history import history_entries

LINES_FRAGMENT = "orders/_lines_response.html"

# Header values shown on the card, in this order; the contract's terms are compared.
CARD_TERMS = (
    "currency",
    "price_list",
    "payment_terms",
    "payment_method",
    "delivery_method",
    "delivery_terms",
    "delivery_address",
    "warehouse",
    "requested_delivery_date",
    "partial_shipment_allowed",
    "customer_reference",
    "manager",
    "discount_percent",
)


def _display(order: Order, name: str) -> Any:
    value = order.currency_id if name == "currency" else getattr(order, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "manager":
        return value.get_full_name() or value.get_username()
    return value


def card_terms(order: Order, differences: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for name in CARD_TERMS:
        diff = differences.get(name)
        rows.append(
            {
                "name": name,
                "label": Order._meta.get_field(name).verbose_name,
                "value": _display(order, name),
                "differs": diff is not None,
                "contract_value": (diff or {}).get("contract") or "—",
            }
        )
    return rows


def allowed_actions(user, order: Order) -> dict[str, bool]:
    """What the user may do to the order now: the transitions table and the user's rights."""
    may_edit = can_edit_order(user, order)
    actions = {
        action: may_edit and (order.status, action) in TRANSITIONS and action not in SYSTEM_ACTIONS
        for action in OrderAction.values
    }
    lines = list(order.lines.all())
    actions["submit"] = actions[OrderAction.SUBMIT]
    actions["copy"] = can_sell_to(user, order.customer) and order.customer.active and bool(lines)
    actions["save_template"] = can_manage_templates(user) and bool(lines)
    return actions


def lines_context(request, order: Order, **extra) -> dict[str, Any]:
    user = request.user
    actions = allowed_actions(user, order)
    allowed = allowed_terms(user)
    line_errors = extra.pop("line_errors", {})
    lines = list(order.lines.all())
    for line in lines:
        line.error = line_errors.get(line.pk)
    context = {
        "order": order,
        "lines": lines,
        "editable": actions[OrderAction.EDIT],
        "may_price": Term.PRICE in allowed,
        "may_discount": Term.DISCOUNT in allowed,
        "add_form": LineForm(prefix="add", user=user),
        "timeline": history_entries(order, request.user),
    }
    context.update(extra)
    return context


def card_context(request, order: Order, **extra) -> dict[str, Any]:
    """Everything the card shows; `extra` replaces a part (a bound form with errors)."""
    user = request.user
    actions = allowed_actions(user, order)
    differences = order_differences(order)
    context = lines_context(request, order, line_errors=extra.pop("line_errors", {}))
    context.update(
        {
            "actions": actions,
            "differences": differences,
            "terms": card_terms(order, differences),
            "cancel_form": CancelForm(),
            "template_form": TemplateSaveForm(initial={"name": order.number}),
            "open_panel": "",
            # documents, payments, deviations, credit ... registered by the apps above orders
            "panels": render_panels("order_card", request, order),
        }
    )
    if actions[OrderAction.SUBMIT]:
        try:
            context["preview"] = services.submit_preview(order)
        except DomainError:
            context["preview"] = None
    if actions[OrderAction.EDIT]:
        context["header_form"] = HeaderForm(
            user=user, customer=order.customer, initial=header_initial(order)
        )
    context.update(extra)
    return context


@login_required
@require_GET
def order_detail(request, pk: int):
    order = get_order(request, pk)
    return render(request, "orders/detail.html", card_context(request, order))


# --- draft editing --------------------------------------------------------------------------


def lines_response(request, pk: int, *, error: DomainError | None = None, status=None, **extra):
    """After a line edit: the lines and totals fragment (and the timeline, out of band) for
    htmx; for a plain form post, back to the card (or the card with the error)."""
    order = get_order(request, pk)
    if is_htmx(request):
        context = lines_context(request, order, **extra)
        if error is not None:
            return refuse(request, error, LINES_FRAGMENT, context)
        return render(request, LINES_FRAGMENT, context, status=status or 200)
    if error is not None:
        return refuse(request, error, "orders/detail.html", card_context(request, order, **extra))
    if status and status >= 400:
        context = card_context(request, order, **extra)
        return render(request, "orders/detail.html", context, status=status)
    return redirect("orders:detail", pk=pk)


@login_required
@require_POST
def line_add(request, pk: int):
    get_order(request, pk)
    form = LineForm(request.POST, prefix="add", user=request.user)
    if form.is_blank():
        form.is_valid()
        form.add_error("product", _("Choose a product."))
    if not form.is_valid():
        return lines_response(request, pk, add_form=form, status=400)
    try:
        services.order_line_add(by=request.user, order=pk, line=form.line_input())
    except DomainError as exc:
        place_error(exc, line_form=lambda _i, _f: form)
        return lines_response(request, pk, error=exc, add_form=form)
    return lines_response(request, pk)


def _line_error(exc: DomainError, line_pk: int) -> dict[int, str]:
    return {line_pk: exc.detail}


@login_required
@require_POST
def line_update(request, pk: int, line_pk: int):
    """Change one line's quantity, price, discount or date (an inline edit sends one field)."""
    get_order(request, pk)
    form = LineChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return lines_response(request, pk, line_errors={line_pk: errors}, status=400)
    changes = form.posted_changes()
    if not changes:
        return lines_response(request, pk)
    try:
        services.order_line_update(by=request.user, order=pk, line_id=line_pk, **changes)
    except DomainError as exc:
        return lines_response(request, pk, error=exc, line_errors=_line_error(exc, line_pk))
    return lines_response(request, pk)


@login_required
@require_POST
def line_remove(request, pk: int, line_pk: int):
    get_order(request, pk)
    try:
        services.order_line_remove(by=request.user, order=pk, line_id=line_pk)
    except DomainError as exc:
        return lines_response(request, pk, error=exc, line_errors=_line_error(exc, line_pk))
    return lines_response(request, pk)


@login_required
@require_POST
def line_schedule(request, pk: int, line_pk: int):
    """Replace a line's delivery schedule (dated quantities)."""
    get_order(request, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(form.non_field_errors())
        return lines_response(request, pk, line_errors={line_pk: errors}, status=400)
    try:
        services.order_line_update(
            by=request.user, order=pk, line_id=line_pk, schedule=form.cleaned_data["schedule"]
        )
    except DomainError as exc:
        return lines_response(request, pk, error=exc, line_errors=_line_error(exc, line_pk))
    return lines_response(request, pk)


@login_required
@require_POST
def order_header(request, pk: int):
    """Change a draft's header terms (the rights matrix applies in the service)."""
    order = get_order(request, pk)
    form = HeaderForm(
        request.POST, user=request.user, customer=order.customer, initial=header_initial(order)
    )
    if not form.is_valid():
        return render(
            request,
            "orders/detail.html",
            card_context(request, order, header_form=form, open_panel="header"),
            status=400,
        )
    changes = form.changes(order)
    if not changes:
        messages.info(request, _("Nothing to change."))
        return redirect("orders:detail", pk=pk)
    try:
        services.order_update(by=request.user, order=pk, **changes)
    except DomainError as exc:
        place_error(exc, form)
        order = get_order(request, pk)
        return refuse(
            request,
            exc,
            "orders/detail.html",
            card_context(request, order, header_form=form, open_panel="header"),
        )
    messages.success(request, _("Order terms saved."))
    return redirect("orders:detail", pk=pk)


# --- lifecycle actions ----------------------------------------------------------------------


def _act(request, pk: int, call, done: str, *, panel: str = "", **forms_):
    """Run one lifecycle service; back to the card with a message, or the card with the error."""
    order = get_order(request, pk)
    try:
        result = call(order)
    except DomainError as exc:
        for form in forms_.values():
            place_error(exc, form)
        order = get_order(request, pk)
        return refuse(
            request,
            exc,
            "orders/detail.html",
            card_context(request, order, open_panel=panel, **forms_),
        )
    target = result if isinstance(result, Order) else order
    messages.success(request, done % {"number": target.number})
    return redirect("orders:detail", pk=target.pk)


@login_required
@require_POST
def order_confirm(request, pk: int):
    return _act(
        request,
        pk,
        lambda order: services.order_confirm(by=request.user, order=order.pk),
        _("Order %(number)s confirmed."),
    )


@login_required
@require_POST
def order_submit(request, pk: int):
    """Submit: approval when rules fire, else confirmation under credit control."""

    def done(order):
        return services.order_submit(by=request.user, order=order.pk)

    order = get_order(request, pk)
    try:
        result = done(order)
    except DomainError as exc:
        return refuse(
            request, exc, "orders/detail.html", card_context(request, get_order(request, pk))
        )
    text = {
        "pending_approval": _("Order %(number)s waits for approval."),
        "credit_hold": _("Order %(number)s is held by credit control."),
    }.get(result.status, _("Order %(number)s confirmed."))
    (messages.warning if result.status != "confirmed" else messages.success)(
        request, text % {"number": result.number}
    )
    return redirect("orders:detail", pk=pk)


@login_required
@require_GET
def order_submit_preview(request, pk: int):
    """What submitting would do: the rules that fire, who approves, what credit says."""
    order = get_order(request, pk)
    return render(
        request,
        "orders/_submit_preview.html",
        {"order": order, "preview": services.submit_preview(order)},
    )


@login_required
@require_POST
def order_return(request, pk: int):
    return _act(
        request,
        pk,
        lambda order: services.order_return_to_draft(
            by=request.user, order=order.pk, reason=request.POST.get("reason", "")
        ),
        _("Order %(number)s is a draft again."),
    )


@login_required
@require_POST
def order_override_request(request, pk: int):
    """Ask for a credit override through approval (from the release queue or the card)."""
    from orderdesk.core.errors import NotFound as _NotFound

    try:
        services.approval_flow.order_override_request(
            by=request.user, order=pk, comment=request.POST.get("comment", "")
        )
    except _NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return (
            redirect("orders:detail", pk=pk) if _visible(request, pk) else redirect("orders:list")
        )
    messages.success(request, _("Credit override requested through approval."))
    return redirect("orders:detail", pk=pk) if _visible(request, pk) else redirect("orders:list")


def _visible(request, pk) -> bool:
    return Order.objects.filter(order_scope(request.user), pk=pk).exists()


@login_required
@require_POST
def order_close(request, pk: int):
    return _act(
        request,
        pk,
        lambda order: services.order_close(by=request.user, order=order.pk),
        _("Order %(number)s closed."),
    )


@login_required
@require_POST
def order_cancel(request, pk: int):
    form = CancelForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return _act(
        request,
        pk,
        lambda order: services.order_cancel(
            by=request.user,
            order=order.pk,
            reason=data.get("reason") or request.POST.get("reason"),
            comment=data.get("comment", ""),
        ),
        _("Order %(number)s cancelled."),
        panel="cancel",
        cancel_form=form,
    )


@login_required
@require_POST
def order_copy(request, pk: int):
    return _act(
        request,
        pk,
        lambda order: services.order_copy(by=request.user, order=order),
        _("New draft %(number)s copied from the order."),
    )


@login_required
@require_POST
def order_save_template(request, pk: int):
    form = TemplateSaveForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    order = get_order(request, pk)
    try:
        template = services.template_from_order(
            by=request.user,
            order=order,
            name=data.get("name", ""),
            shared=data.get("shared", False),
        )
    except DomainError as exc:
        place_error(exc, form)
        return refuse(
            request,
            exc,
            "orders/detail.html",
            card_context(request, order, template_form=form, open_panel="template"),
        )
    messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
    return redirect("orders:detail", pk=pk)
