"""Credit pages: the release queue for credit controllers (held orders with reasons and
numbers; release once with a comment)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orderdesk.core.errors import DomainError
from orderdesk.core.roles import has_role
from orderdesk.core.views import render_domain_error

from . import services
from .models import CreditHold, HoldStatus


def _queue_context():
    holds = list(
        CreditHold.objects.filter(status=HoldStatus.HELD)
        .select_related("customer")
        .order_by("held_at")
    )
    return {"holds": holds}


@login_required
@require_GET
def queue(request):
    if not has_role(request.user, *services.CONTROLLERS):
        return render(request, "orders/403.html", {"domain_error": DomainError(_("Only credit controllers see the queue."), code="credit_not_permitted")}, status=403)  # fmt: skip
    return render(request, "credit/queue.html", _queue_context())


@login_required
@require_POST
def release(request, order_id: int):
    try:
        services.hold_release(
            by=request.user, order_id=order_id, comment=request.POST.get("comment", "")
        )
    except DomainError as exc:
        if not has_role(request.user, *services.CONTROLLERS):
            return render(request, "orders/403.html", {"domain_error": exc}, status=403)
        return render_domain_error(request, exc, "credit/queue.html", _queue_context())
    messages.success(request, _("Order released once."))
    return redirect("orders:credit:queue")
