"""Order templates: the list (own and shared), an order from a template, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orderdesk.core.errors import DomainError, NotFound
from orderdesk.core.roles import is_admin

from .. import services
from ..forms import (
    TemplateUseForm,
    may_enter_orders,
    place_error,
    search_customers,
    sellable_customers,
)
from ..models import OrderTemplate, OrderTemplateLine
from ..permissions import can_manage_templates
from ._base import forbidden, refuse
from .entry import not_a_seller


def _template_or_404(request, pk: int) -> OrderTemplate:
    try:
        return services.template_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("No such template.")) from None


def _list_context(request) -> dict:
    user = request.user
    templates = (
        OrderTemplate.objects.filter(services.template_scope(user))
        .select_related("owner", "payment_terms", "payment_method", "delivery_method")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderTemplateLine.objects.select_related("product").order_by("position"),
            )
        )
        .order_by("name")
    )
    admin = is_admin(user)
    items = [{"template": t, "may_delete": admin or t.owner_id == user.pk} for t in templates]
    return {"items": items, "may_use": may_enter_orders(user)}


@login_required
@require_GET
def template_list(request):
    if not (can_manage_templates(request.user) or may_enter_orders(request.user)):
        return forbidden(request, not_a_seller())
    return render(request, "orders/templates.html", _list_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def template_use(request, pk: int):
    """Create a draft for a chosen customer from the template (services.order_create_from_template)."""
    user = request.user
    if not may_enter_orders(user):
        return forbidden(request, not_a_seller())
    template = _template_or_404(request, pk)
    data = request.POST if request.method == "POST" else None
    initial = {"customer": request.GET.get("customer")} if data is None else None
    form = TemplateUseForm(data, user=user, initial=initial)
    chosen = (data or request.GET).get("customer", "")
    context = {
        "template": template,
        "form": form,
        "customers": search_customers(sellable_customers(user), ""),
        "selected_customer": (
            sellable_customers(user).filter(pk=int(chosen)).first() if chosen.isdigit() else None
        ),
    }
    if data is None:
        return render(request, "orders/template_use.html", context)
    if not form.is_valid():
        return render(request, "orders/template_use.html", context, status=400)
    try:
        order = services.order_create_from_template(
            by=user, template=template, customer=form.cleaned_data["customer"]
        )
    except DomainError as exc:
        place_error(exc, form)
        return refuse(request, exc, "orders/template_use.html", context)
    messages.success(
        request,
        _("Order %(number)s created from template “%(name)s”.")
        % {"number": order.number, "name": template.name},
    )
    return redirect("orders:detail", pk=order.pk)


@login_required
@require_POST
def template_delete(request, pk: int):
    template = _template_or_404(request, pk)
    name = template.name
    try:
        services.template_delete(by=request.user, template=template)
    except DomainError as exc:
        return refuse(request, exc, "orders/templates.html", _list_context(request))
    messages.success(request, _("Template “%(name)s” deleted.") % {"name": name})
    return redirect("orders:templates")
