"""Approvals API: the inbox (mine, overdue), a task with what deviates, decisions, the
comment thread, rules (administrators), delegation. A task or approval the user may not see
answers 404 (`approval_task_not_found`, `approval_not_found`)."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_date
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.errors import ValidationFailed

from .. import selectors, services
from ..models import ApprovalRule, ApprovalTask

TAGS = ["approvals"]


def task_data(task: ApprovalTask, *, full: bool = False) -> dict[str, Any]:
    a = task.approval
    data = {
        "id": task.pk,
        "approval": a.pk,
        "order": {"id": a.subject_id, "number": a.subject_number},
        "customer": a.customer_name,
        "amount": str(a.amount),
        "status": task.status,
        "approval_status": a.status,
        "version": a.version,
        "stage": {
            "position": task.stage.position,
            "name": task.stage.name,
            "mode": task.stage.mode,
        },
        "assignee": task.assignee.username,
        "due_at": task.due_at,
        "escalated_from": task.escalated_from_id,
    }
    if full:
        data |= {
            "deviations": a.deviations,
            "terms": a.terms,
            "changes_since_last_decision": services.changes_since_last(a),
            "decisions": [
                {
                    "by": d.by.username,
                    "decision": d.decision,
                    "comment": d.comment,
                    "at": d.at,
                    "version": d.version,
                }
                for d in a.decisions.select_related("by")
            ],
            "comments": [
                {"by": c.by.username, "text": c.text, "at": c.at}
                for c in a.comments.select_related("by")
            ],
        }
    return data


class Base(APIView):
    parser_classes = [JSONParser]


class InboxView(Base):
    @extend_schema(operation_id="approvals_inbox", tags=TAGS, responses={200: dict, **ERROR_RESPONSES},
                   description="Open tasks of the user (own and as deputy); ?overdue=1 for the late ones.")  # fmt: skip
    def get(self, request: Request) -> Response:
        tasks = selectors.inbox(
            user=request.user, overdue=request.query_params.get("overdue") in ("1", "true")
        )
        return Response({"count": tasks.count(), "results": [task_data(t) for t in tasks[:500]]})


class DecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "return"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class TaskView(Base):
    @extend_schema(
        operation_id="approvals_task", tags=TAGS, responses={200: dict, **ERROR_RESPONSES}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(task_data(selectors.task_get_for(user=request.user, pk=pk), full=True))


class TaskDecideView(Base):
    @extend_schema(operation_id="approvals_task_decide", tags=TAGS, request=DecideInput,
                   responses={200: dict, **ERROR_RESPONSES},
                   description="approve / reject / return for rework, with a comment; `version` is "
                   "the approval version the approver saw (approval_changed when it moved on).")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        selectors.task_get_for(user=request.user, pk=pk)  # 404 for anyone it is not shown to
        s = DecideInput(data=request.data)
        s.is_valid(raise_exception=True)
        services.task_decide(by=request.user, task=pk, **s.validated_data)
        return Response(task_data(selectors.task_get_for(user=request.user, pk=pk), full=True))


class ApprovalCommentInput(serializers.Serializer):
    text = serializers.CharField()


class TaskCommentView(Base):
    @extend_schema(operation_id="approvals_task_comment", tags=TAGS, request=ApprovalCommentInput,
                   responses={201: dict, **ERROR_RESPONSES})  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_get_for(user=request.user, pk=pk)
        comment = services.comment_add(
            by=request.user, approval=task.approval_id, text=request.data.get("text", "")
        )
        return Response({"id": comment.pk, "text": comment.text}, status=201)


def rule_data(rule: ApprovalRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "kind": rule.kind,
        "threshold": None if rule.threshold is None else str(rule.threshold),
        "active": rule.active,
        "stages": [
            {
                "position": s.position,
                "role": s.role,
                "users": [u.pk for u in s.users.all()],
                "mode": s.mode,
                "min_amount": None if s.min_amount is None else str(s.min_amount),
                "deadline_hours": s.deadline_hours,
                "escalate_to_role": s.escalate_to_role,
            }
            for s in rule.stages.all()
        ],
    }


class RulesView(Base):
    @extend_schema(
        operation_id="approval_rules_list", tags=TAGS, responses={200: dict, **ERROR_RESPONSES}
    )
    def get(self, request: Request) -> Response:
        rules = ApprovalRule.objects.prefetch_related("stages__users")
        return Response([rule_data(r) for r in rules])

    @extend_schema(operation_id="approval_rules_create", tags=TAGS, request=dict,
                   responses={201: dict, **ERROR_RESPONSES},
                   description="{name, kind, threshold, active, stages: [{role | users, mode any/all, "
                   "min_amount, deadline_hours, escalate_to_role}]} (administrators).")  # fmt: skip
    def post(self, request: Request) -> Response:
        data = request.data
        rule = services.rule_save(
            by=request.user,
            name=data.get("name", ""),
            kind=data.get("kind", ""),
            threshold=data.get("threshold"),
            active=data.get("active", True),
            stages=data.get("stages") or [],
        )
        return Response(rule_data(rule), status=201)


class RuleDetailView(Base):
    @extend_schema(
        operation_id="approval_rules_update",
        tags=TAGS,
        request=dict,
        responses={200: dict, **ERROR_RESPONSES},
    )
    def put(self, request: Request, pk: int) -> Response:
        data = request.data
        rule = services.rule_save(
            by=request.user, rule=pk, name=data.get("name", ""), kind=data.get("kind", ""),
            threshold=data.get("threshold"), active=data.get("active", True), stages=data.get("stages") or [],
        )  # fmt: skip
        return Response(rule_data(rule))

    @extend_schema(
        operation_id="approval_rules_delete", tags=TAGS, responses={204: None, **ERROR_RESPONSES}
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.rule_delete(by=request.user, rule=pk)
        return Response(status=204)


class DelegationView(Base):
    @extend_schema(operation_id="approval_delegation_create", tags=TAGS, request=dict,
                   responses={201: dict, **ERROR_RESPONSES},
                   description="{deputy: user id, valid_from, valid_to, user: (administrators) whose}")  # fmt: skip
    def post(self, request: Request) -> Response:
        data = request.data
        start, end = (
            parse_date(str(data.get("valid_from") or "")),
            parse_date(str(data.get("valid_to") or "")),
        )
        if start is None or end is None:
            raise ValidationFailed(
                "valid_from / valid_to: YYYY-MM-DD", code="delegation_dates_invalid"
            )
        d = services.delegation_set(
            by=request.user, user=data.get("user") or request.user.pk, deputy=data.get("deputy"),
            valid_from=start, valid_to=end,
        )  # fmt: skip
        return Response({"id": d.pk, "user": d.user_id, "deputy": d.deputy_id}, status=201)
