"""How orders is wired to the approvals and credit apps below it (loaded from OrdersConfig).

approvals and credit may not import orders; they call back through the handlers registered
here: approvals locks the order, records its steps in the order's timeline and reports the
outcome; credit locks the order and reports a release from hold. The warehouse's release gate
asks `hooks.RELEASE_BLOCKERS`, answered by credit control. Navigation entries (with the
inbox count) and panels for the order and customer cards are registered here too.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderdesk.approvals import hooks as approval_hooks
from orderdesk.approvals.selectors import open_count
from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.core.roles import Role
from orderdesk.credit import hooks as credit_hooks

from . import hooks
from .registrations import ACTION_LABELS
from .services import approval_flow, credit_flow
from .views import approval_panels

approval_hooks.on_lock(approval_flow.on_approval_lock)
approval_hooks.on_step(approval_flow.on_approval_step)
approval_hooks.on_decided(approval_flow.on_approval_decided)
credit_hooks.on_lock(credit_flow.lock_plain)
credit_hooks.on_released(credit_flow.on_credit_released)
hooks.on(hooks.RELEASE_BLOCKERS, "credit.release_gate", credit_flow.release_blockers)

ACTION_LABELS.update(
    {
        "orders.order.submitted": _("Submitted for approval"),
        "orders.order.approval_rejected": _("Approval rejected"),
        "orders.order.returned_to_draft": _("Returned to draft"),
        "orders.order.approval_reopened": _("Approval reopened by an amendment"),
        "orders.order.credit_held": _("Held by credit control"),
        "orders.order.credit_warning": _("Credit warning"),
        "approvals.approval.started": _("Approval started"),
        "approvals.task.approved": _("Approved"),
        "approvals.task.rejected": _("Rejected"),
        "approvals.task.returned": _("Returned for rework"),
        "approvals.task.escalated": _("Approval task escalated"),
        "approvals.comment.added": _("Approval comment"),
    }
)


def _inbox_badge(request):
    count = open_count(request.user)
    return count or None


register_nav("approvals", _("Approvals"), "orders:approvals:inbox", order=30, badge=_inbox_badge)
register_nav(
    "credit_queue",
    _("Credit holds"),
    "orders:credit:queue",
    order=40,
    roles=(Role.CREDIT_CONTROLLER, Role.ADMINISTRATOR),
)
register_panel(
    "order_card",
    "approval",
    template="orders/panels/_approval.html",
    context=approval_panels.order_approval_panel,
    order=6,
)
register_panel(
    "order_card",
    "credit",
    template="orders/panels/_credit.html",
    context=approval_panels.order_credit_panel,
    order=7,
)
register_panel(
    "customer_card",
    "credit",
    template="orders/panels/_customer_credit.html",
    context=approval_panels.customer_credit_panel,
    order=15,
)
