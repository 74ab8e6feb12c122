"""What every order view shares: refusals mapped in one place, htmx told apart in one place."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from orderdesk.core.errors import DomainError, NotFound, PermissionRefused
from orderdesk.core.views import render_domain_error

from ..models import Order
from ..selectors import order_get_for


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request gets the `_`-fragment it asked for, any other the whole page."""
    return bool(getattr(request, "htmx", False))


def refuse(
    request: HttpRequest, exc: DomainError, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A service said no: 404 for what the user may not see; otherwise `template` (the page,
    or the fragment an htmx request asked for) again with the error on top and beside its
    fields, under the error's 4xx status."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail)
    return render_domain_error(request, exc, template, context)


def forbidden(request: HttpRequest, exc: DomainError | None = None) -> HttpResponse:
    """The 403 page, for when there is no better page to show the refusal on."""
    exc = exc or PermissionRefused(_("You may not do this."), code="permission_denied")
    return render(request, "orders/403.html", {"domain_error": exc}, status=403)


def get_order(request: HttpRequest, pk: Any) -> Order:
    """The order with lines, if the user may see it; 404 otherwise (never reveal it exists)."""
    try:
        return order_get_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("No such order.")) from None
