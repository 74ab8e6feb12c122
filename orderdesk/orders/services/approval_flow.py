"""Submitting an order: approval by the rules when its deviations call for it, else on to
confirmation (and credit control); what approvals decide comes back here.

The approvals app knows nothing of orders: `order_submit` passes it the order's id, number,
customer, authors (who entered it, who changed it last), amount and deviation list, and the
handlers registered in `orders.wiring` move the order when a decision ends the approval.

Error codes: order_empty, approval_no_approver, approval_task_not_yours (order_decide),
and those of approvals.services.task_decide and of confirmation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from orderdesk.approvals import services as approvals
from orderdesk.approvals.models import Approval, ApprovalStatus, ApprovalTask, TaskStatus
from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.core.transitions import transition_target
from orderdesk.credit import services as credit

from ..choices import TRANSITIONS, OrderAction, OrderStatus
from ..deviations import order_deviations
from ..models import Order
from ..permissions import can_edit_order
from . import _common as c
from .credit_flow import assess, confirm_locked, credit_numbers, lock_plain, move
from .entry import lock_order

TERM_FIELDS = (
    "currency_id",
    "payment_terms_id",
    "payment_method_id",
    "delivery_method_id",
    "delivery_terms",
    "discount_percent",
    "price_list_id",
    "contract_id",
)


def order_terms(order: Order) -> dict[str, Any]:
    """What an approver decides on, flat (for the difference since the last decision)."""
    terms = {
        "currency": order.currency_id,
        "payment_terms": str(order.payment_terms),
        "payment_method": str(order.payment_method),
        "delivery": "; ".join(
            x for x in (str(order.delivery_method or ""), order.delivery_terms) if x
        ),
        "order_discount": str(order.discount_percent),
        "total": f"{order.gross_amount} {order.currency_id}",
    }
    # sorted here, not in SQL: the lines may be prefetched (entry.moving_shape)
    for line in sorted(order.lines.all(), key=lambda li: li.position):
        terms[f"line {line.position}"] = (
            f"{line.product.sku} × {line.quantity.normalize():f} @ {line.unit_price.normalize():f}"
            f" −{line.discount_percent.normalize():f}%"
        )
    return terms


def deviation_list(order: Order) -> list[dict[str, Any]]:
    return [
        {k: (str(v) if isinstance(v, Decimal) else v) for k, v in d.as_dict().items()}
        for d in order_deviations(order)
    ]


def authors_of(order: Order) -> list[int]:
    return [a for a in (order.created_by_id, order.last_changed_by_id) if a]


def submit_preview(order: Order) -> dict[str, Any]:
    """Before submitting: which rules fire and who approves; what credit control would say."""
    devs = deviation_list(order)
    route = approvals.route_for(devs, amount=order.base_gross_amount, authors=authors_of(order))
    numbers = assess(order, "submit", lock=False)
    return {
        "deviations": devs,
        "rules": [
            {"name": r["name"], "kind": r["kind"], "deviation": r["deviation"]}
            for r in route["rules"]
        ],
        "stages": route["stages"],
        "approval_needed": route["needed"],
        "credit": numbers.as_dict() | {"reasons": numbers.reasons},
    }


def _start(by, order: Order, *, reason: str = "") -> Approval | None:
    return approvals.approval_start(
        by=by,
        subject_id=order.pk,
        subject_number=order.number,
        customer_id=order.customer_id,
        customer_name=str(order.customer),
        authors=authors_of(order),
        amount=order.base_gross_amount,
        deviations=deviation_list(order),
        terms=order_terms(order),
        reason=reason,
    )


def submit_locked(by, order: Order, *, action: str) -> Order:
    """The locked draft goes to approval when rules fire, else on to confirmation."""
    if not order.lines.exists():
        raise ValidationFailed(_("An order without lines cannot be confirmed."), code="order_empty")
    c.resolve_customer(order.customer)
    transition_target(TRANSITIONS, order.status, action, what=_("order"))
    # credit: a warning (or a hold at confirmation) is worked out after approval; the
    # submission itself only records what credit control says now
    approval = _start(by, order)
    if approval is not None:
        edit = c.Edit(order, by)
        numbers = assess(order, "submit", lock=False)
        data = {"approval": approval.pk, "rules": [r["name"] for r in approval.rules]}
        if numbers.breaches:
            data["credit_warnings"] = numbers.reasons
        move(edit, OrderAction.SUBMIT, **data)
        order.save(update_fields=["status", "updated_at"])
        edit.flush()
        return order
    return confirm_locked(by, order, action=OrderAction.CONFIRM, stage="confirm")


@atomic_with_retry
def order_submit(*, by, order: Order | int) -> Order:
    """Submit a draft: approval (status pending_approval) when its deviations match approval
    rules, else confirmation under credit control (confirmed, or credit_hold).
    Raises `order_empty`, `customer_inactive`, `approval_no_approver`, `invalid_transition`."""
    order = lock_order(order, by=by, action=OrderAction.SUBMIT, moving=True)
    with cache.scope(order.reference_token):
        return submit_locked(by, order, action=OrderAction.SUBMIT)


@atomic_with_retry
def order_return_to_draft(*, by, order: Order | int, reason: str = "") -> Order:
    """The seller takes the order back to draft: out of approval (the approval is withdrawn)
    or out of credit hold (to lower the amount)."""
    order = lock_order(order, by=by, action=OrderAction.RETURN)
    if order.status == OrderStatus.PENDING_APPROVAL:
        approvals.approval_cancel(by=by, subject_id=order.pk, reason=reason)
    credit.hold_close(order_id=order.pk)
    edit = c.Edit(order, by)
    move(edit, OrderAction.RETURN, reason=(reason or "").strip())
    order.last_changed_by = by
    order.save()
    edit.flush()
    return order


def my_task(by, order: Order) -> ApprovalTask | None:
    """The open task of `by` (own, or as today's deputy) in the order's pending approval."""
    return (
        ApprovalTask.objects.filter(
            approval__subject_type="order",
            approval__subject_id=order.pk,
            approval__status=ApprovalStatus.PENDING,
            status=TaskStatus.OPEN,
        )
        .filter(Q(assignee=by) | Q(assignee_id__in=approvals.delegators_of(by)))
        .order_by("id")
        .first()
    )


@atomic_with_retry
def order_decide(
    *, by, order: Order | int, decision: str, comment: str = "", version: int | None = None
) -> Order:
    """Decide `by`'s task on the order (approve, reject, return); `invalid_transition` unless
    the order waits for approval; `approval_task_not_yours` when `by` has no task in it."""
    order = lock_plain(order)
    action = {"approve": OrderAction.APPROVE, "reject": OrderAction.REJECT}.get(
        decision, OrderAction.RETURN
    )
    transition_target(TRANSITIONS, order.status, action, what=_("order"))
    task = my_task(by, order)
    if task is None:
        raise PermissionRefused(
            _("This approval task is not yours."), code="approval_task_not_yours"
        )
    approvals.task_decide(by=by, task=task, decision=decision, comment=comment, version=version)
    order.refresh_from_db()
    return order


# --- handlers registered with approvals (orders.wiring) -----------------------------------------


def on_approval_lock(approval: Approval) -> None:
    lock_plain(approval.subject_id)


def on_approval_step(*, approval: Approval, action: str, by, data: dict[str, Any]) -> None:
    """Every approval step goes into the order's timeline, with its comment."""
    order = Order(pk=approval.subject_id)
    record_many(
        stream=stream_of(order),
        entries=[Entry(action, approval, {}, {"order": approval.subject_number, **data})],
        by=by,
    )


def on_approval_decided(*, approval: Approval, outcome: str, by, comment: str) -> None:
    """The approval ended: approved -> confirmation (credit control applies); rejected or
    returned -> draft with the reason."""
    order = lock_plain(approval.subject_id)
    if order.status == OrderStatus.CREDIT_HOLD:  # a credit override asked through approval
        if outcome == ApprovalStatus.APPROVED:
            credit.hold_release(
                by=by, order_id=order.pk, comment=comment or _("approved"), approved=True
            )
        return
    if order.status != OrderStatus.PENDING_APPROVAL:
        return
    if outcome == ApprovalStatus.APPROVED:
        confirm_locked(by, order, action=OrderAction.APPROVE, stage="confirm", approval=approval.pk)
        return
    edit = c.Edit(order, by)
    action = OrderAction.REJECT if outcome == ApprovalStatus.REJECTED else OrderAction.RETURN
    move(edit, action, reason=comment, approval=approval.pk)
    order.save(update_fields=["status", "updated_at"])
    edit.flush()


@atomic_with_retry
def order_override_request(*, by, order: Order | int, comment: str) -> Approval:
    """Ask for a credit override (a limit change) for a held order through approval: the
    rules for `credit_override_requested` route it; approved, the hold is released once.
    Raises `credit_override_forbidden`, `credit_override_reason_required`, `order_not_held`,
    `approval_rule_missing`."""
    from orderdesk.core.roles import Role, has_role

    if not has_role(
        by, Role.CREDIT_CONTROLLER, Role.ADMINISTRATOR, Role.SALES_HEAD, Role.SALES_MANAGER
    ):
        raise PermissionRefused(
            _("You may not ask for a credit override."), code="credit_override_forbidden"
        )
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            _("Say why."), code="credit_override_reason_required", fields={"comment": None}
        )
    order = lock_plain(order)
    # the seller of the order asks, or a credit controller from the release queue; anyone
    # else learns nothing of the order's state
    if not (can_edit_order(by, order) or has_role(by, Role.CREDIT_CONTROLLER, Role.ADMINISTRATOR)):
        raise PermissionRefused(
            _("You may not change order %(n)s.") % {"n": order.number}, code="order_not_permitted"
        )
    if order.status != OrderStatus.CREDIT_HOLD:
        raise Conflict(_("This order is not in credit hold."), code="order_not_held")
    numbers = assess(order, "confirm", lock=False)
    deviation = {
        "kind": "credit_override_requested",
        "line": None,
        "standard": str(numbers.limit if numbers.limit is not None else ""),
        "value": str(numbers.exposure),
        "limit": str(numbers.limit if numbers.limit is not None else ""),
        "unit": credit.base(),
        "detail": {"reasons": numbers.reasons},
    }
    approval = approvals.approval_start(
        by=by,
        subject_id=order.pk,
        subject_number=order.number,
        customer_id=order.customer_id,
        customer_name=str(order.customer),
        authors=[*authors_of(order), by.pk],
        amount=order.base_gross_amount,
        deviations=[deviation],
        terms=order_terms(order),
        reason=comment,
    )
    if approval is None:
        raise Conflict(
            _("No approval rule routes credit overrides; ask an administrator."),
            code="approval_rule_missing",
        )
    edit = c.Edit(order, by)
    edit.add("orders.order.credit_override_requested", order, {}, comment=comment,
             approval=approval.pk, credit=credit_numbers(numbers))  # fmt: skip
    edit.flush()
    return approval


# --- material amendments ----------------------------------------------------------------------


def material_state(order: Order) -> dict[str, Any]:
    lines = {
        line.pk: (
            line.product_id,
            line.unit_price,
            line.manual_discount_percent,
            line.discount_percent,
            line.quantity,
        )
        for line in order.lines.all()
    }
    return {"terms": tuple(getattr(order, f) for f in TERM_FIELDS), "lines": lines}


def is_material(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Price, discount, a quantity up, a new line or other terms: material. A comment, a
    contact, the delivery address, a quantity down or a removed line: not."""
    if before["terms"] != after["terms"]:
        return True
    for pk, now in after["lines"].items():
        was = before["lines"].get(pk)
        if was is None:
            return True
        if now[:4] != was[:4] or now[4] > was[4]:
            return True
    return False


def reopen_if_needed(edit: c.Edit, before: dict[str, Any]) -> bool:
    """After an amendment of a confirmed order: a material change whose deviations match
    rules reopens approval (the commitment is released until it is approved again)."""
    order = edit.order
    if order.status != OrderStatus.CONFIRMED or not is_material(before, material_state(order)):
        return False
    approval = _start(edit.by, order, reason=_("material amendment"))
    if approval is None:
        return False
    move(edit, OrderAction.REOPEN, approval=approval.pk, rules=[r["name"] for r in approval.rules])
    order.save(update_fields=["status", "updated_at"])
    credit.commitment_release(order_id=order.pk)
    return True


__all__ = [
    "credit_numbers",
    "order_decide",
    "order_return_to_draft",
    "order_submit",
    "submit_preview",
]
