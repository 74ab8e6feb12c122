"""Approval rules and the approvals they start: route, tasks, decisions, delegation, escalation.

Rules live here; the subject (an order) is passed in as plain values, and the outcome goes
back through `hooks`. Serialization point for decisions: the subject's row (locked through
`hooks.on_lock`) and then the approval row, `SELECT ... FOR UPDATE`; the stage's state is read
again under the lock, so two approvers deciding one stage at the same moment record exactly one
decision (the second gets `approval_already_decided`).

Error codes: approval_rules_forbidden, rule_kind_unknown, approval_route_empty,
stage_approvers_missing, stage_mode_unknown, threshold_invalid, approval_no_approver,
approval_task_not_found, approval_task_not_yours, approval_closed, approval_already_decided,
approval_changed, approver_is_author, deputy_is_author, approval_comment_required,
decision_unknown, approval_comment_empty, delegation_self, delegation_dates_invalid,
delegation_forbidden.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from orderdesk.core.roles import Role, is_admin

from . import hooks
from .models import (
    Approval,
    ApprovalComment,
    ApprovalDecision,
    ApprovalRule,
    ApprovalStage,
    ApprovalStatus,
    ApprovalTask,
    Decision,
    Delegation,
    RuleKind,
    RuleStage,
    StageMode,
    StageStatus,
    TaskStatus,
)

User = get_user_model()

# the rules and their stages are reference data: read once per process while the reference
# token holds (core.cache); the stages' named users are read when a rule fires, never cached
cache.track(ApprovalRule, RuleStage)


# --- rules ------------------------------------------------------------------------------------


def _require_admin(by) -> None:
    if not is_admin(by):
        raise PermissionRefused(
            _("Only an administrator sets approval rules."), code="approval_rules_forbidden"
        )


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not a number.") % {"v": value},
            code="threshold_invalid",
            fields={field: str(value)},
        ) from None
    if result < 0:
        raise ValidationFailed(
            _("A threshold cannot be negative."),
            code="threshold_invalid",
            fields={field: str(value)},
        )
    return result


@atomic_with_retry
def rule_save(
    *,
    by,
    name: str,
    kind: str,
    stages: list[dict[str, Any]],
    threshold: Any = None,
    active: bool = True,
    rule: ApprovalRule | int | None = None,
) -> ApprovalRule:
    """Create or replace a rule: a deviation kind with an optional threshold and a route of
    ordered stages ({role | users, mode any/all, min_amount, deadline_hours}).

    Raises `approval_rules_forbidden`, `rule_kind_unknown`, `approval_route_empty`,
    `stage_approvers_missing`, `stage_mode_unknown`, `threshold_invalid`.
    """
    _require_admin(by)
    if kind not in RuleKind.values:
        raise ValidationFailed(
            _("Unknown deviation kind “%(k)s”.") % {"k": kind},
            code="rule_kind_unknown",
            fields={"kind": kind},
        )
    if not stages:
        raise ValidationFailed(
            _("A rule needs at least one approval stage."),
            code="approval_route_empty",
            fields={"stages": None},
        )
    parsed = []
    for i, stage in enumerate(stages):
        role = stage.get("role") or ""
        users = list(stage.get("users") or [])
        if role and role not in Role.values:
            raise ValidationFailed(
                _("Unknown role “%(r)s”.") % {"r": role},
                code="role_unknown",
                fields={f"stages[{i}].role": role},
            )
        if not role and not users:
            raise ValidationFailed(
                _("Stage %(n)s names neither a role nor users.") % {"n": i + 1},
                code="stage_approvers_missing",
                fields={f"stages[{i}]": None},
            )
        mode = stage.get("mode") or StageMode.ANY
        if mode not in StageMode.values:
            raise ValidationFailed(
                _("Unknown stage mode “%(m)s”.") % {"m": mode},
                code="stage_mode_unknown",
                fields={f"stages[{i}].mode": mode},
            )
        user_objs = list(User.objects.filter(pk__in=[getattr(u, "pk", u) for u in users]))
        if len(user_objs) != len({getattr(u, "pk", u) for u in users}):
            raise ValidationFailed(
                _("Unknown user in stage %(n)s.") % {"n": i + 1},
                code="user_unknown",
                fields={f"stages[{i}].users": None},
            )
        parsed.append(
            (
                RuleStage(
                    position=i + 1,
                    role=role,
                    mode=mode,
                    min_amount=_decimal(stage.get("min_amount"), f"stages[{i}].min_amount"),
                    deadline_hours=int(stage.get("deadline_hours") or 24),
                    escalate_to_role=stage.get("escalate_to_role", Role.ADMINISTRATOR) or "",
                ),
                user_objs,
            )
        )
    values = {
        "name": (name or "").strip() or str(RuleKind(kind).label),
        "kind": kind,
        "threshold": _decimal(threshold, "threshold"),
        "active": bool(active),
    }
    if rule is None:
        obj = ApprovalRule.objects.create(**values)
    else:
        obj = ApprovalRule.objects.select_for_update().get(pk=getattr(rule, "pk", rule))
        for k, v in values.items():
            setattr(obj, k, v)
        obj.save()
        obj.stages.all().delete()
    for stage, users in parsed:
        stage.rule = obj
        stage.save()
        stage.users.set(users)
    return obj


def rule_delete(*, by, rule: ApprovalRule | int) -> None:
    _require_admin(by)
    ApprovalRule.objects.filter(pk=getattr(rule, "pk", rule)).delete()


# --- which rules fire, who approves -----------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _load_rules() -> list[ApprovalRule]:
    return list(ApprovalRule.objects.filter(active=True).prefetch_related("stages"))


def active_rules() -> list[ApprovalRule]:
    """The active rules in their order (kind, id), each with its stages prefetched; from the
    process cache inside a `core.cache.scope`. Shared between threads: read-only."""
    return cache.cached("approvals.rules", _load_rules)


def fired_rules(deviations: list[dict[str, Any]]) -> list[tuple[ApprovalRule, dict[str, Any]]]:
    """(rule, deviation) for every active rule a deviation matches: the kind, and the value
    above the rule's threshold when the rule has one and the value is a number."""
    fired = []
    for rule in active_rules():
        dev = next((d for d in deviations if _rule_matches(rule, d)), None)
        if dev is not None:
            fired.append((rule, dev))
    return fired


def _rule_matches(rule: ApprovalRule, deviation: dict[str, Any]) -> bool:
    """The deviation is of the rule's kind and, when the rule has a threshold and the value
    is a number, above it."""
    if deviation.get("kind") != rule.kind:
        return False
    if rule.threshold is None:
        return True
    value = _number(deviation.get("value"))
    return value is None or value > rule.threshold


def _named_users(stages: list[RuleStage]) -> dict[int, list]:
    """The named users of each stage (by stage id, in user id order), in one query; only
    for the stages that need them (no role)."""
    ids = [st.pk for st in stages if not st.role]
    found: dict[int, list] = {pk: [] for pk in ids}
    if ids:
        links = (
            RuleStage.users.through.objects.filter(rulestage_id__in=ids)
            .select_related("user")
            .order_by("user_id")
        )
        for link in links:
            found[link.rulestage_id].append(link.user)
    return found


def approvers_for(deviations: list[dict[str, Any]]) -> list[list[str]]:
    """Who may approve each deviation under the active rules, in stage order: a role code for
    a role stage, the username for each named user. An empty list: no rule asks for approval
    of that deviation (submitting confirms it, as far as the rules go)."""
    rules = sorted(active_rules(), key=lambda r: r.pk)
    matched = [[r for r in rules if _rule_matches(r, dev)] for dev in deviations]
    users = _named_users([st for rs in matched for r in rs for st in r.stages.all()])
    answers = []
    for dev_rules in matched:
        who: list[str] = []
        for rule in dev_rules:
            for stage in sorted(rule.stages.all(), key=lambda st: (st.position, st.pk)):
                names = [stage.role] if stage.role else [u.username for u in users[stage.pk]]
                who.extend(n for n in names if n not in who)
        answers.append(who)
    return answers


def _stage_people(stage: RuleStage, named: dict[int, list]) -> list:
    if stage.role:
        return list(
            User.objects.filter(is_active=True)
            .filter(
                Q(groups__name=stage.role)
                | (Q(is_superuser=True) if stage.role == Role.ADMINISTRATOR else Q(pk__in=[]))
            )
            .distinct()
            .order_by("pk")
        )
    return [u for u in named[stage.pk] if u.is_active]


def route_for(
    deviations: list[dict[str, Any]], *, amount: Decimal, authors: list[int]
) -> dict[str, Any]:
    """The preview: the rules that fire and the ordered stages with their approvers (authors
    left out). Stages of several rules are merged by position; the same people in the same
    mode at one position form one stage; a stage above `amount`'s `min_amount` is skipped."""
    fired = fired_rules(deviations)
    named = _named_users([st for rule, _dev in fired for st in rule.stages.all()])
    merged: dict[tuple, dict[str, Any]] = {}
    for rule, _dev in fired:
        for stage in rule.stages.all():
            if stage.min_amount is not None and amount <= stage.min_amount:
                continue
            people = [u for u in _stage_people(stage, named) if u.pk not in authors]
            key = (stage.position, stage.role, tuple(u.pk for u in people), stage.mode)
            entry = merged.setdefault(
                key,
                {
                    "position": stage.position,
                    "role": stage.role,
                    "mode": stage.mode,
                    "approvers": [
                        {"id": u.pk, "name": u.get_full_name() or u.username} for u in people
                    ],
                    "rules": [],
                    "deadline_hours": stage.deadline_hours,
                    "escalate_to_role": stage.escalate_to_role,
                },
            )
            entry["rules"].append(rule.name)
            entry["deadline_hours"] = min(entry["deadline_hours"], stage.deadline_hours)
    stages = sorted(merged.values(), key=lambda s: (s["position"], s["role"], s["mode"]))
    return {
        "rules": [
            {"id": r.pk, "name": r.name, "kind": r.kind, "threshold": r.threshold, "deviation": d}
            for r, d in fired
        ],
        "stages": stages,
        "needed": bool(stages),
    }


# --- starting ---------------------------------------------------------------------------------


def _notify(tasks: list[ApprovalTask]) -> None:
    """One e-mail per new task, after the commit (console backend in development)."""
    messages = []
    for task in tasks:
        if task.assignee.email:
            messages.append(
                (
                    _("Approval needed: %(n)s") % {"n": task.approval.subject_number},
                    _("%(n)s (%(c)s) waits for your decision until %(d)s.")
                    % {
                        "n": task.approval.subject_number,
                        "c": task.approval.customer_name,
                        "d": task.due_at.strftime("%Y-%m-%d %H:%M"),
                    },
                    task.assignee.email,
                )
            )

    def send():
        for subject, body, to in messages:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True)

    if messages:
        transaction.on_commit(send)


def _activate(stage: ApprovalStage, authors: list[int]) -> list[ApprovalTask]:
    stage.status = StageStatus.ACTIVE
    stage.save(update_fields=["status"])
    due = timezone.now() + dt.timedelta(hours=stage.deadline_hours)
    tasks = [
        ApprovalTask.objects.create(
            stage=stage, approval=stage.approval, assignee_id=c["id"], due_at=due
        )
        for c in stage.candidates
        if c["id"] not in authors
    ]
    _notify(tasks)
    return tasks


def approval_start(
    *,
    by,
    subject_id: int,
    subject_number: str,
    customer_id: int | None,
    customer_name: str,
    authors: list[int],
    amount: Decimal,
    deviations: list[dict[str, Any]],
    terms: dict[str, Any] | None = None,
    reason: str = "",
) -> Approval | None:
    """Start an approval when rules fire (None when none does). The caller holds the
    subject's lock. A pending approval of the same subject is closed; the snapshot at the last
    decision on the subject is kept as `previous` (what changed since). Raises
    `approval_no_approver` when a stage has nobody left who is not an author."""
    route = route_for(deviations, amount=amount, authors=authors)
    if not route["needed"]:
        return None
    for stage in route["stages"]:
        if not stage["approvers"]:
            raise Conflict(
                _("Nobody but the order's authors may approve stage %(n)s; ask an administrator.")
                % {"n": stage["position"]},
                code="approval_no_approver",
            )
    earlier = list(
        Approval.objects.select_for_update()
        .filter(subject_type="order", subject_id=subject_id)
        .order_by("-id")
    )
    for old in earlier:
        if old.status == ApprovalStatus.PENDING:
            old.status = ApprovalStatus.CANCELLED
            old.save(update_fields=["status"])
            ApprovalTask.objects.filter(approval=old, status=TaskStatus.OPEN).update(
                status=TaskStatus.CLOSED
            )
    last = (
        ApprovalDecision.objects.filter(approval__in=earlier).order_by("-at", "-id").first()
        if earlier
        else None
    )
    approval = Approval.objects.create(
        subject_id=subject_id,
        subject_number=subject_number,
        customer_id=customer_id,
        customer_name=customer_name[:255],
        authors=sorted({a for a in authors if a}),
        amount=amount,
        rules=[{"name": r["name"], "kind": r["kind"]} for r in route["rules"]],
        deviations=deviations,
        terms=terms or {},
        previous=(last.snapshot | {"decision": last.decision, "comment": last.comment})
        if last
        else None,
        version=(earlier[0].version + 1) if earlier else 1,
        reason=reason,
        requested_by=by if getattr(by, "is_authenticated", False) else None,
    )
    for i, s in enumerate(route["stages"]):
        ApprovalStage.objects.create(
            approval=approval,
            version=approval.version,
            position=i + 1,
            name=", ".join(s["rules"]),
            mode=s["mode"],
            deadline_hours=s["deadline_hours"],
            escalate_to_role=s["escalate_to_role"],
            candidates=s["approvers"],
        )
    first = approval.stages.order_by("position").first()
    _activate(first, approval.authors)
    hooks.call(
        "step",
        approval=approval,
        action="approvals.approval.started",
        by=by,
        data={"rules": [r["name"] for r in route["rules"]], "version": approval.version},
    )
    return approval


def approval_cancel(*, by, subject_id: int, reason: str = "") -> int:
    """Close the subject's pending approval (the order was cancelled); the caller holds the lock."""
    pending = list(
        Approval.objects.select_for_update().filter(
            subject_type="order", subject_id=subject_id, status=ApprovalStatus.PENDING
        )
    )
    for approval in pending:
        approval.status = ApprovalStatus.CANCELLED
        approval.reason = reason
        approval.save(update_fields=["status", "reason"])
        ApprovalTask.objects.filter(approval=approval, status=TaskStatus.OPEN).update(
            status=TaskStatus.CLOSED
        )
    return len(pending)


# --- who may act on a task ---------------------------------------------------------------------


def delegators_of(user, on: dt.date | None = None) -> list[int]:
    """Users whose tasks `user` may decide as their deputy today."""
    on = on or timezone.localdate()
    return list(
        Delegation.objects.filter(deputy=user, valid_from__lte=on, valid_to__gte=on).values_list(
            "user_id", flat=True
        )
    )


def task_scope(user) -> Q:
    """The tasks `user` may see: own, those of the people the user deputises for now; every
    task for an administrator."""
    if is_admin(user):
        return Q()
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(assignee=user) | Q(assignee_id__in=delegators_of(user))


def approval_scope(user) -> Q:
    if is_admin(user):
        return Q()
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(tasks__assignee=user) | Q(tasks__assignee_id__in=delegators_of(user))


# --- deciding ---------------------------------------------------------------------------------


def snapshot(approval: Approval) -> dict[str, Any]:
    return {
        "deviations": approval.deviations,
        "terms": approval.terms,
        "amount": str(approval.amount),
    }


def _lock(task_id: Any) -> tuple[ApprovalTask, Approval]:
    try:
        peek = ApprovalTask.objects.select_related("approval").get(pk=int(task_id))
    except (ApprovalTask.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such approval task."), code="approval_task_not_found") from None
    hooks.call("lock", peek.approval)  # the subject's row first (orders: lock_order)
    approval = Approval.objects.select_for_update().get(pk=peek.approval_id)
    task = ApprovalTask.objects.select_related("stage", "assignee").get(pk=peek.pk)
    return task, approval


@atomic_with_retry
def task_decide(
    *,
    by,
    task: ApprovalTask | int,
    decision: str,
    comment: str = "",
    version: int | None = None,
) -> ApprovalTask:
    """Approve, reject or return for rework one task.

    Rules: only the assignee or the assignee's deputy for today (`approval_task_not_yours`);
    never an author or last changer of the subject (`approver_is_author`, `deputy_is_author`);
    the approval is still pending (`approval_closed`) and the task and its stage open
    (`approval_already_decided`); `version`, when given, is the one the approver saw
    (`approval_changed`); rejecting or returning needs a comment (`approval_comment_required`).
    Stage "any": the first approval completes it; "all": every task. The last stage approved
    approves the approval; a rejection or return ends it. Raises `decision_unknown`.
    """
    if decision not in Decision.values:
        raise ValidationFailed(
            _("Unknown decision “%(d)s”.") % {"d": decision},
            code="decision_unknown",
            fields={"decision": decision},
        )
    comment = (comment or "").strip()
    if decision != Decision.APPROVE and not comment:
        raise ValidationFailed(
            _("Say why."), code="approval_comment_required", fields={"comment": None}
        )
    task, approval = _lock(getattr(task, "pk", task))
    as_deputy = task.assignee_id != by.pk
    if as_deputy and task.assignee_id not in delegators_of(by):
        raise PermissionRefused(
            _("This approval task is not yours."), code="approval_task_not_yours"
        )
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(
            _("The approval of %(n)s is %(s)s.")
            % {"n": approval.subject_number, "s": approval.get_status_display()},
            code="approval_closed",
        )
    stage = ApprovalStage.objects.get(pk=task.stage_id)
    if task.status != TaskStatus.OPEN or stage.status != StageStatus.ACTIVE:
        raise Conflict(_("This stage is decided already."), code="approval_already_decided")
    if version is not None and int(version) != approval.version:
        raise Conflict(
            _("The order changed since you opened it; look at it again."),
            code="approval_changed",
            params={"version": approval.version},
        )
    if by.pk in approval.authors:
        raise PermissionRefused(
            _("You entered or last changed this order; someone else approves it."),
            code="deputy_is_author" if as_deputy else "approver_is_author",
        )
    now = timezone.now()
    status = {
        Decision.APPROVE: TaskStatus.APPROVED,
        Decision.REJECT: TaskStatus.REJECTED,
        Decision.RETURN: TaskStatus.RETURNED,
    }[decision]
    task.status, task.decided_by, task.decided_at, task.comment = status, by, now, comment
    task.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    if task.escalated_from_id:  # the escalation decides for the task it escalated
        ApprovalTask.objects.filter(pk=task.escalated_from_id, status=TaskStatus.OPEN).update(
            status=status, decided_by=by, decided_at=now, comment=comment
        )
    ApprovalDecision.objects.create(
        approval=approval,
        stage=stage,
        task=task,
        by=by,
        decision=decision,
        comment=comment,
        version=approval.version,
        snapshot=snapshot(approval),
    )
    data = {
        "stage": stage.position,
        "decision": decision,
        "comment": comment,
        "on_behalf_of": task.assignee.username if as_deputy else "",
        "version": approval.version,
    }
    hooks.call("step", approval=approval, action=f"approvals.task.{status}", by=by, data=data)

    outcome = None
    if decision != Decision.APPROVE:
        outcome = (
            ApprovalStatus.REJECTED if decision == Decision.REJECT else ApprovalStatus.RETURNED
        )
    else:
        open_slots = stage.tasks.filter(escalated_from__isnull=True, status=TaskStatus.OPEN)
        if stage.mode == StageMode.ANY or not open_slots.exists():
            stage.status = StageStatus.APPROVED
            stage.save(update_fields=["status"])
            stage.tasks.filter(status=TaskStatus.OPEN).update(status=TaskStatus.CLOSED)
            following = (
                approval.stages.filter(version=approval.version, position__gt=stage.position)
                .order_by("position")
                .first()
            )
            if following is None:
                outcome = ApprovalStatus.APPROVED
            else:
                _activate(following, approval.authors)
    if outcome is not None:
        approval.status = outcome
        approval.decided_at = now
        approval.reason = comment
        approval.save(update_fields=["status", "decided_at", "reason"])
        approval.tasks.filter(status=TaskStatus.OPEN).update(status=TaskStatus.CLOSED)
        approval.stages.exclude(status=StageStatus.APPROVED).update(status=StageStatus.CLOSED)
        hooks.call("decided", approval=approval, outcome=outcome, by=by, comment=comment)
    return task


@atomic_with_retry
def comment_add(*, by, approval: Approval | int, text: str) -> ApprovalComment:
    """A comment in the approval's thread, by a participant (`approval_comment_empty`,
    `approval_not_found`)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write a comment."), code="approval_comment_empty")
    pk = getattr(approval, "pk", approval)
    visible = Approval.objects.filter(approval_scope(by), pk=pk).exists() or (
        Approval.objects.filter(pk=pk, requested_by=by).exists()
    )
    if not visible:
        raise NotFound(_("No such approval."), code="approval_not_found")
    peek = Approval.objects.get(pk=pk)
    hooks.call("lock", peek)
    approval = Approval.objects.select_for_update().get(pk=pk)
    comment = ApprovalComment.objects.create(approval=approval, by=by, text=text)
    hooks.call(
        "step", approval=approval, action="approvals.comment.added", by=by, data={"comment": text}
    )
    return comment


# --- delegation and escalation ----------------------------------------------------------------


def delegation_set(*, by, user, deputy, valid_from: dt.date, valid_to: dt.date) -> Delegation:
    """`user`'s tasks may be decided by `deputy` in the period. The user sets it, or an
    administrator (`delegation_forbidden`); `delegation_self`, `delegation_dates_invalid`.
    A deputy who authored an order is refused when deciding it (`deputy_is_author`)."""
    user_id, deputy_id = getattr(user, "pk", user), getattr(deputy, "pk", deputy)
    if by.pk != user_id and not is_admin(by):
        raise PermissionRefused(
            _("Only the user or an administrator names a deputy."), code="delegation_forbidden"
        )
    if user_id == deputy_id:
        raise ValidationFailed(_("A deputy is someone else."), code="delegation_self")
    if not valid_from or not valid_to or valid_to < valid_from:
        raise ValidationFailed(
            _("The period ends before it starts."), code="delegation_dates_invalid"
        )
    if not User.objects.filter(pk=deputy_id, is_active=True).exists():
        raise ValidationFailed(
            _("Unknown deputy."), code="user_unknown", fields={"deputy": deputy_id}
        )
    return Delegation.objects.create(
        user_id=user_id, deputy_id=deputy_id, valid_from=valid_from, valid_to=valid_to
    )


def escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Tasks past their deadline escalate to the next level: a task for each user of the
    stage's `escalate_to_role` (authors and those already assigned left out); the task is
    marked escalated. Returns how many tasks escalated."""
    now = now or timezone.now()
    count = 0
    due = list(
        ApprovalTask.objects.filter(
            status=TaskStatus.OPEN,
            escalated=False,
            escalated_from__isnull=True,
            due_at__lt=now,
            approval__status=ApprovalStatus.PENDING,
        ).values_list("pk", flat=True)
    )
    for pk in due:
        count += _escalate(pk, now)
    return count


@atomic_with_retry
def _escalate(pk: int, now: dt.datetime) -> int:
    try:
        task, approval = _lock(pk)
    except NotFound:
        return 0
    if (
        task.status != TaskStatus.OPEN
        or task.escalated
        or approval.status != ApprovalStatus.PENDING
    ):
        return 0
    stage = task.stage
    role = stage.escalate_to_role
    if not role:
        return 0
    assigned = set(stage.tasks.values_list("assignee_id", flat=True))
    people = (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__name=role)
            | (Q(is_superuser=True) if role == Role.ADMINISTRATOR else Q(pk__in=[]))
        )
        .exclude(pk__in=list(assigned | set(approval.authors)))
        .distinct()
    )
    new = [
        ApprovalTask.objects.create(
            stage=stage,
            approval=approval,
            assignee=u,
            due_at=now + dt.timedelta(hours=stage.deadline_hours),
            escalated_from=task,
        )
        for u in people
    ]
    task.escalated = True
    task.save(update_fields=["escalated"])
    _notify(new)
    hooks.call(
        "step",
        approval=approval,
        action="approvals.task.escalated",
        by=None,
        data={
            "stage": stage.position,
            "from": task.assignee.username,
            "to": [t.assignee.username for t in new],
        },
    )
    return 1


# --- what changed since the last decision ------------------------------------------------------


def changes_since_last(approval: Approval) -> list[dict[str, Any]]:
    """Deviation and term differences between the snapshot at the last decision and now."""
    prev = approval.previous
    if not prev:
        return []
    out = []

    def key(d):
        return (d.get("kind"), d.get("line"))

    before = {key(d): d for d in prev.get("deviations", [])}
    after = {key(d): d for d in approval.deviations}
    for k in sorted(set(before) | set(after), key=lambda k: (str(k[0]), k[1] or 0)):
        b, a = before.get(k), after.get(k)
        if b and a and (b.get("value"), b.get("standard")) == (a.get("value"), a.get("standard")):
            continue
        out.append(
            {
                "what": k[0],
                "line": k[1],
                "before": None if b is None else b.get("value"),
                "after": None if a is None else a.get("value"),
            }
        )
    tb, ta = prev.get("terms", {}), approval.terms
    for name in sorted(set(tb) | set(ta)):
        if tb.get(name) != ta.get(name):
            out.append({"what": name, "line": None, "before": tb.get(name), "after": ta.get(name)})
    return out
