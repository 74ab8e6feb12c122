"""Approval pages: the inbox (mine, overdue), a task with what deviates and the decision,
the comment thread, delegation. Tasks are visible only to their assignees, their deputies
and administrators (404 for anyone else, whatever the URL)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orderdesk.core.errors import DomainError, NotFound
from orderdesk.core.views import render_domain_error

from . import selectors, services
from .models import Delegation


@login_required
@require_GET
def inbox(request):
    overdue = request.GET.get("overdue") == "1"
    tasks = list(selectors.inbox(user=request.user, overdue=overdue)[:200])
    return render(request, "approvals/inbox.html", {"tasks": tasks, "overdue": overdue})


def _task(request, pk):
    try:
        return selectors.task_get_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("No such approval task.")) from None


def _context(request, task, **extra):
    approval = task.approval
    return {
        "task": task,
        "approval": approval,
        "deviations": approval.deviations,
        "terms": approval.terms,
        "changes": services.changes_since_last(approval),
        "decisions": list(approval.decisions.select_related("by")),
        "comments": list(approval.comments.select_related("by")),
        "stages": list(approval.stages.filter(version=approval.version)),
        **extra,
    }


@login_required
@require_GET
def task_detail(request, pk: int):
    task = _task(request, pk)
    return render(request, "approvals/task.html", _context(request, task))


@login_required
@require_POST
def task_decide(request, pk: int):
    task = _task(request, pk)
    try:
        services.task_decide(
            by=request.user,
            task=task.pk,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            version=request.POST.get("version") or None,
        )
    except DomainError as exc:
        task = _task(request, pk)
        return render_domain_error(request, exc, "approvals/task.html", _context(request, task))
    messages.success(request, _("Decision recorded."))
    return redirect("orders:approvals:inbox")


@login_required
@require_POST
def comment_add(request, pk: int):
    task = _task(request, pk)
    try:
        services.comment_add(
            by=request.user, approval=task.approval_id, text=request.POST.get("text", "")
        )
    except DomainError as exc:
        return render_domain_error(request, exc, "approvals/task.html", _context(request, task))
    return redirect("orders:approvals:task", pk=pk)


@login_required
def delegation(request):
    User = get_user_model()
    if request.method == "POST":
        try:
            deputy = User.objects.filter(username=request.POST.get("deputy", "")).first()
            services.delegation_set(
                by=request.user,
                user=request.user,
                deputy=deputy.pk if deputy else None,
                valid_from=parse_date(request.POST.get("valid_from", "")) or dt.date.today(),
                valid_to=parse_date(request.POST.get("valid_to", "")),
            )
        except DomainError as exc:
            mine = Delegation.objects.filter(user=request.user)
            return render_domain_error(
                request, exc, "approvals/delegation.html", {"delegations": mine}
            )
        messages.success(request, _("Deputy named."))
        return redirect("orders:approvals:delegation")
    mine = Delegation.objects.filter(user=request.user).select_related("deputy")
    return render(request, "approvals/delegation.html", {"delegations": mine})
