"""Panels of the order and customer cards for approvals and credit control."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from orderdesk.approvals.selectors import latest_for_subject
from orderdesk.approvals.services import changes_since_last
from orderdesk.core.roles import Role, has_role
from orderdesk.credit import services as credit
from orderdesk.credit.models import CreditAccount, CreditHold, HoldStatus
from orderdesk.pricing.selectors import can_view_prices

from ..choices import OrderStatus
from ..permissions import can_view_order
from ..services.approval_flow import my_task
from ..services.credit_flow import assess


def order_approval_panel(request, order) -> dict[str, Any] | None:
    """The order's approval: stages, tasks, decisions, comments; the user's own task."""
    if not can_view_prices(request.user):
        return None
    approval = latest_for_subject(order.pk)
    if approval is None:
        return None
    task = my_task(request.user, order) if order.status == OrderStatus.PENDING_APPROVAL else None
    return {
        "order": order,
        "approval": approval,
        "stages": [s for s in approval.stages.all() if s.version == approval.version],
        "tasks": list(approval.tasks.all()),
        "decisions": list(approval.decisions.all()),
        "comments": list(approval.comments.all()),
        "changes": changes_since_last(approval),
        "my_task": task,
        "task_url": reverse("orders:approvals:task", args=[task.pk]) if task else "",
    }


def order_credit_panel(request, order) -> dict[str, Any] | None:
    """Exposure with its breakdown, and the hold with its reasons."""
    if not has_role(
        request.user,
        Role.CREDIT_CONTROLLER,
        Role.ADMINISTRATOR,
        Role.SALES_HEAD,
        Role.SALES_MANAGER,
    ):
        return None
    committed = order.status in (OrderStatus.CONFIRMED,)
    numbers = assess(order, "confirm", lock=False) if not committed else credit.check(
        customer=order.customer, amount=None, stage="release", order_id=order.pk,
        contract_id=order.contract_id, lock=False,
    )  # fmt: skip
    hold = CreditHold.objects.filter(order_id=order.pk).order_by("-id").first()
    return {
        "order": order,
        "credit": numbers.as_dict(),
        "reasons": numbers.reasons,
        "hold": hold if hold and hold.status != "closed" else None,
        "held": hold is not None and hold.status == HoldStatus.HELD,
        "may_release": has_role(request.user, Role.CREDIT_CONTROLLER, Role.ADMINISTRATOR),
        "release_url": reverse("orders:credit:release", args=[order.pk]),
    }


def customer_credit_panel(request, customer) -> dict[str, Any] | None:
    if not has_role(
        request.user,
        Role.CREDIT_CONTROLLER,
        Role.ADMINISTRATOR,
        Role.SALES_HEAD,
        Role.SALES_MANAGER,
    ):
        return None
    numbers = credit.check(customer=customer, amount=0, stage="entry", lock=False)
    account = CreditAccount.objects.filter(customer=customer).first()
    return {"customer": customer, "credit": numbers.as_dict(), "reasons": numbers.reasons,
            "account": account}  # fmt: skip


__all__ = ["can_view_order", "customer_credit_panel", "order_approval_panel", "order_credit_panel"]
