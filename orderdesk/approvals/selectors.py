"""Reading approvals: an inbox scoped to the user (assignee, deputy, administrator)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound

from .models import Approval, ApprovalStatus, ApprovalTask, TaskStatus
from .services import approval_scope, task_scope


def inbox(*, user, overdue: bool = False, open_only: bool = True):
    qs = (
        ApprovalTask.objects.filter(task_scope(user))
        .select_related("approval", "stage", "assignee")
        .order_by("due_at", "id")
    )
    if open_only:
        qs = qs.filter(status=TaskStatus.OPEN, approval__status=ApprovalStatus.PENDING)
    if overdue:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs


def open_count(user) -> int:
    return inbox(user=user).count()


def task_get_for(*, user, pk: Any) -> ApprovalTask:
    try:
        return inbox(user=user, open_only=False).get(pk=int(pk))
    except (ApprovalTask.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such approval task."), code="approval_task_not_found") from None


def approval_get_for(*, user, pk: Any) -> Approval:
    try:
        return (
            Approval.objects.filter(approval_scope(user))
            .distinct()
            .prefetch_related("stages", "tasks__assignee", "decisions__by", "comments__by")
            .get(pk=int(pk))
        )
    except (Approval.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such approval."), code="approval_not_found") from None


def latest_for_subject(subject_id: int) -> Approval | None:
    return (
        Approval.objects.filter(subject_type="order", subject_id=subject_id)
        .prefetch_related("stages", "tasks__assignee", "decisions__by", "comments__by")
        .order_by("-id")
        .first()
    )
