"""Amending a confirmed order: a reason, line changes and new lines, one service call."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orderdesk.core.errors import DomainError, PermissionRefused

from .. import services
from ..choices import TRANSITIONS, OrderAction
from ..forms import AmendForm, LineChangeForm, LineRows, add_error, place_error
from ..permissions import can_edit_order
from ._base import forbidden, get_order, refuse


@login_required
@require_http_methods(["GET", "POST"])
def order_amend(request, pk: int):
    """The amendment page of a confirmed order; a POST calls services.order_amend once."""
    user = request.user
    order = get_order(request, pk)
    if not can_edit_order(user, order):
        return forbidden(
            request,
            PermissionRefused(
                _("You may not change order %(n)s.") % {"n": order.number},
                code="order_not_permitted",
            ),
        )
    if (order.status, OrderAction.AMEND) not in TRANSITIONS:
        messages.error(
            request,
            _("Order %(n)s is %(s)s: only a confirmed order is amended.")
            % {"n": order.number, "s": order.get_status_display()},
        )
        return redirect("orders:detail", pk=pk)

    data = request.POST if request.method == "POST" else None
    lines = list(order.lines.all())
    line_forms = [
        LineChangeForm(data, prefix=f"line-{line.pk}", user=user, line=line) for line in lines
    ]
    rows = LineRows(user, data, blank=0)
    form = AmendForm(data)
    context = {
        "order": order,
        "form": form,
        "line_forms": list(zip(lines, line_forms, strict=True)),
        "rows": rows,
    }
    if data is None:
        return render(request, "orders/amend.html", context)

    results = [form.is_valid(), rows.is_valid(), *(f.is_valid() for f in line_forms)]
    if not all(results):
        messages.error(request, _("Check the marked fields; the order was not changed."))
        return render(request, "orders/amend.html", context, status=400)
    update, remove = {}, []
    for line, line_form in zip(lines, line_forms, strict=True):
        if line_form.cleaned_data.get("remove"):
            remove.append(line.pk)
        elif changes := line_form.changed_values():
            update[line.pk] = changes
    by_position = {line.position: f for line, f in zip(lines, line_forms, strict=True)}

    def line_form_for(index: int, field: str):
        # Updated lines are named by position, added ones by their index among the new rows.
        changed = by_position.get(index)
        if changed is not None and changed.line.pk in update and field in update[changed.line.pk]:
            return changed
        return rows.form_at(index) or changed

    try:
        services.order_amend(
            by=user,
            order=pk,
            reason=form.cleaned_data["reason"],
            update=update,
            remove=remove,
            add=rows.inputs(),
        )
    except DomainError as exc:
        if not place_error(exc, form, line_form_for) and "line" in exc.fields:
            culprit = next(
                (f for li, f in context["line_forms"] if str(li.pk) == str(exc.fields["line"])),
                None,
            )
            if culprit is not None:
                add_error(culprit, "remove", exc.detail)
        return refuse(request, exc, "orders/amend.html", context)
    messages.success(request, _("Order %(n)s amended.") % {"n": order.number})
    return redirect("orders:detail", pk=pk)
