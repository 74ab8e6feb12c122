"""The deviations panel of the order card, refreshed in place while the lines change."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..deviations import deviations_panel
from ._base import get_order


@login_required
@require_GET
def order_deviations(request, pk: int):
    """The panel fragment (404 for an order the user may not see; 403 for roles that do not
    work with prices)."""
    order = get_order(request, pk)
    context = deviations_panel(request, order)
    if context is None:
        raise PermissionDenied
    return render(request, "orders/panels/_deviations.html", context)
