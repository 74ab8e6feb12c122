"""Approval workflow scenarios (issue 4): one- and two-stage routes, rejection and
resubmission, re-approval after a material change (and none after a trivial one),
delegation, escalation, refusals with stable codes, visibility, concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from orderdesk.approvals import services as approvals
from orderdesk.approvals.models import (
    Approval,
    ApprovalDecision,
    ApprovalTask,
    TaskStatus,
)
from orderdesk.approvals.selectors import inbox
from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError
from orderdesk.credit.models import Commitment
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_cancel,
    order_create,
    order_decide,
    order_line_update,
    order_submit,
    submit_preview,
)
from orderdesk.testing.factories import UserFactory

D = Decimal


@pytest.fixture
def below_list(admin_user, head):
    """One-stage route: a price below the list needs the head of sales."""
    return approvals.rule_save(
        by=admin_user,
        name="Price below list",
        kind="price_below_list",
        stages=[{"role": "sales_head", "mode": "any"}],
    )


def cheap_order(manager, customer, product, price="90") -> Order:
    order = order_create(
        by=manager, customer=customer, lines=[LineInput(product=product, quantity=D("1"))]
    )
    line = order.lines.first()
    order_line_update(by=manager, order=order, line_id=line.pk, unit_price=price)
    order.refresh_from_db()
    return order


def actions(order) -> list[str]:
    return list(
        Event.objects.filter(stream=stream_of(order))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def task_of(user, order) -> ApprovalTask:
    return ApprovalTask.objects.get(
        assignee=user, approval__subject_id=order.pk, status=TaskStatus.OPEN
    )


def refused(code):
    class Ctx:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            assert exc_type is not None and issubclass(exc_type, DomainError), "not refused"
            assert exc.code == code, exc
            return True

    return Ctx()


# --- one stage, two stages ------------------------------------------------------------------


def test_one_stage_route_preview_submit_approve(
    manager,
    head,
    customer,
    contract,
    product,
    below_list,
    settings,
    django_capture_on_commit_callbacks,
):
    head.email = "head@example.com"
    head.save()
    order = cheap_order(manager, customer, product)

    preview = submit_preview(order)
    assert preview["approval_needed"] is True
    assert [r["kind"] for r in preview["rules"]] == ["price_below_list"]
    assert preview["stages"][0]["approvers"] == [{"id": head.pk, "name": head.get_full_name()}]

    with django_capture_on_commit_callbacks(execute=True):
        order_submit(by=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert not Commitment.objects.filter(order_id=order.pk).exists()
    assert [m.to for m in mail.outbox] == [["head@example.com"]]
    assert list(inbox(user=head)) == [task_of(head, order)]

    approval = Approval.objects.get(subject_id=order.pk)
    dev = approval.deviations[0]
    assert (dev["kind"], dev["standard"], dev["value"]) == ("price_below_list", "100", "90")

    order_decide(by=head, order=order, decision="approve", comment="ok")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert Commitment.objects.get(order_id=order.pk).amount == order.base_gross_amount
    acts = actions(order)
    assert acts.index("approvals.approval.started") < acts.index("orders.order.submitted")
    assert acts[-2:] == ["approvals.task.approved", "orders.order.confirmed"] or (
        "orders.order.confirmed" in acts and "approvals.task.approved" in acts
    )
    approved = Event.objects.get(stream=stream_of(order), action="approvals.task.approved")
    assert approved.data["comment"] == "ok"


def test_without_matching_rules_submit_goes_straight_to_confirmation(
    manager, customer, contract, product, below_list
):
    order = order_create(
        by=manager, customer=customer, lines=[LineInput(product=product, quantity=D("1"))]
    )
    assert submit_preview(order)["approval_needed"] is False
    order_submit(by=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert not Approval.objects.filter(subject_id=order.pk).exists()


def test_threshold_keeps_a_small_deviation_out(manager, customer, contract, product, admin_user):
    approvals.rule_save(by=admin_user, name="deep", kind="price_below_list", threshold="95",
                        stages=[{"role": "sales_head"}])  # fmt: skip
    # value 90 is not above threshold 95 -> does not fire; the threshold compares the value
    order = cheap_order(manager, customer, product, price="96")
    assert submit_preview(order)["approval_needed"] is True
    order2 = cheap_order(manager, customer, product, price="90")
    assert submit_preview(order2)["approval_needed"] is False


def test_two_stage_route_all_of_the_second_stage(
    manager, head, customer, contract, product, admin_user
):
    cc1 = UserFactory(username="cc1", roles=["credit_controller"])
    cc2 = UserFactory(username="cc2", roles=["credit_controller"])
    approvals.rule_save(
        by=admin_user,
        name="two stages",
        kind="price_below_list",
        stages=[{"role": "sales_head"}, {"role": "credit_controller", "mode": "all"}],
    )
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    assert not ApprovalTask.objects.filter(assignee=cc1).exists()  # stage 2 waits

    order_decide(by=head, order=order, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    order_decide(by=cc1, order=order, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    with refused("approval_task_not_yours"):
        order_decide(by=cc1, order=order, decision="approve")
    order_decide(by=cc2, order=order, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert ApprovalDecision.objects.filter(approval__subject_id=order.pk).count() == 3


def test_min_amount_skips_a_stage_below_it(manager, head, customer, contract, product, admin_user):
    UserFactory(username="cc", roles=["credit_controller"])
    approvals.rule_save(
        by=admin_user, name="r", kind="price_below_list",
        stages=[{"role": "sales_head"}, {"role": "credit_controller", "min_amount": "1000000"}],
    )  # fmt: skip
    order = cheap_order(manager, customer, product)
    assert len(submit_preview(order)["stages"]) == 1


# --- rejection, resubmission, what changed ----------------------------------------------------


def test_rejection_returns_to_draft_and_resubmission_shows_what_changed(
    manager, head, customer, contract, product, below_list
):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    first = task_of(head, order)
    with refused("approval_comment_required"):
        order_decide(by=head, order=order, decision="reject")
    order_decide(by=head, order=order, decision="reject", comment="too cheap")
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    rejected = Event.objects.get(stream=stream_of(order), action="orders.order.approval_rejected")
    assert rejected.data["reason"] == "too cheap"

    order_line_update(by=manager, order=order, line_id=order.lines.first().pk, unit_price="95")
    order_submit(by=manager, order=order)
    approval = Approval.objects.filter(subject_id=order.pk).latest("id")
    assert approval.version == 2
    changes = approvals.changes_since_last(approval)
    assert {"what": "price_below_list", "line": 1, "before": "90", "after": "95"} in changes

    # the old task is over; a decision on a stale version is refused
    with refused("approval_closed"):
        approvals.task_decide(by=head, task=first, decision="approve")
    second = task_of(head, order)
    with refused("approval_changed"):
        approvals.task_decide(by=head, task=second, decision="approve", version=1)
    approvals.task_decide(by=head, task=second, decision="approve", version=2)
    with refused("approval_closed"):
        approvals.task_decide(by=head, task=second, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_return_for_rework(manager, head, customer, contract, product, below_list):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    order_decide(by=head, order=order, decision="return", comment="explain the price")
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert "orders.order.returned_to_draft" in actions(order)


# --- material and trivial amendments -------------------------------------------------------------


def test_material_amendment_reopens_approval_and_trivial_does_not(
    manager, head, customer, contract, product, below_list
):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    order_decide(by=head, order=order, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    order_amend(by=manager, order=order, reason="address", header={"delivery_address": "Kyiv, 1"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert Approval.objects.filter(subject_id=order.pk).count() == 1

    line = order.lines.first()
    order_amend(by=manager, order=order, reason="more", update={line.pk: {"quantity": "3"}})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert not Commitment.objects.filter(order_id=order.pk).exists()  # released until approved
    assert "orders.order.approval_reopened" in actions(order)
    order_decide(by=head, order=order, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert Commitment.objects.get(order_id=order.pk).amount == order.base_gross_amount


def test_quantity_down_is_not_material(manager, head, customer, contract, product, below_list):
    order = order_create(
        by=manager,
        customer=customer,
        lines=[LineInput(product=product, quantity=D("5"), unit_price=D("90"))],
    )
    order_submit(by=manager, order=order)
    order_decide(by=head, order=order, decision="approve")
    line = order.lines.first()
    order_amend(by=manager, order=order, reason="fewer", update={line.pk: {"quantity": "2"}})
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


# --- delegation, escalation ----------------------------------------------------------------------


def test_a_deputy_decides_for_the_period_but_not_an_author(
    manager, head, customer, contract, product, below_list
):
    deputy = UserFactory(username="deputy", roles=["sales_head"])
    today = timezone.localdate()
    approvals.delegation_set(by=head, user=head, deputy=manager, valid_from=today, valid_to=today)
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    # the deputy role user (deputy) has own task too; the author-deputy is refused
    task = task_of(head, order)
    with refused("deputy_is_author"):
        approvals.task_decide(by=manager, task=task, decision="approve")

    other = UserFactory(username="stand_in", roles=[])
    approvals.delegation_set(by=head, user=head, deputy=other, valid_from=today, valid_to=today)
    assert task in list(inbox(user=other))
    approvals.task_decide(by=other, task=task, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    ev = Event.objects.get(stream=stream_of(order), action="approvals.task.approved")
    assert ev.data["on_behalf_of"] == "head"
    assert deputy  # a second head existed; "any one" needed one decision


def test_expired_delegation_gives_nothing(manager, head, customer, contract, product, below_list):
    other = UserFactory(username="late", roles=[])
    past = timezone.localdate() - dt.timedelta(days=10)
    approvals.delegation_set(by=head, user=head, deputy=other, valid_from=past, valid_to=past)
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    with refused("approval_task_not_yours"):
        approvals.task_decide(by=other, task=task_of(head, order), decision="approve")


def test_delegation_refusals(head, manager):
    today = timezone.localdate()
    with refused("delegation_self"):
        approvals.delegation_set(by=head, user=head, deputy=head, valid_from=today, valid_to=today)
    with refused("delegation_dates_invalid"):
        approvals.delegation_set(by=head, user=head, deputy=manager, valid_from=today,
                                 valid_to=today - dt.timedelta(days=1))  # fmt: skip
    with refused("delegation_forbidden"):
        approvals.delegation_set(
            by=manager, user=head, deputy=manager, valid_from=today, valid_to=today
        )


def test_a_task_past_its_deadline_escalates(
    manager, head, admin_user, customer, contract, product, below_list
):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    task = task_of(head, order)
    assert approvals.escalate_overdue() == 0
    ApprovalTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert list(inbox(user=head, overdue=True)) == [task]
    assert approvals.escalate_overdue() == 1
    assert approvals.escalate_overdue() == 0  # once
    escalated = ApprovalTask.objects.get(assignee=admin_user, approval__subject_id=order.pk)
    assert escalated.escalated_from_id == task.pk
    approvals.task_decide(by=admin_user, task=escalated, decision="approve")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    task.refresh_from_db()
    assert task.status == TaskStatus.APPROVED
    assert "approvals.task.escalated" in actions(order)


def test_escalate_command(manager, head, admin_user, customer, contract, product, below_list):
    from django.core.management import call_command

    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    ApprovalTask.objects.update(due_at=timezone.now() - dt.timedelta(hours=1))
    call_command("escalate_approvals")
    assert ApprovalTask.objects.filter(assignee=admin_user).exists()


# --- refusals -----------------------------------------------------------------------------------


def test_rule_refusals(admin_user, manager):
    with refused("approval_route_empty"):
        approvals.rule_save(by=admin_user, name="x", kind="price_below_list", stages=[])
    with refused("approval_rules_forbidden"):
        approvals.rule_save(
            by=manager, name="x", kind="price_below_list", stages=[{"role": "sales_head"}]
        )
    with refused("rule_kind_unknown"):
        approvals.rule_save(by=admin_user, name="x", kind="nope", stages=[{"role": "sales_head"}])
    with refused("stage_approvers_missing"):
        approvals.rule_save(
            by=admin_user, name="x", kind="price_below_list", stages=[{"mode": "any"}]
        )
    with refused("threshold_invalid"):
        approvals.rule_save(by=admin_user, name="x", kind="price_below_list", threshold="-1",
                            stages=[{"role": "sales_head"}])  # fmt: skip


def test_cancelled_order_closes_its_approval(
    manager, head, customer, contract, product, below_list
):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    task = task_of(head, order)
    order_cancel(by=manager, order=order, reason="duplicate")
    with refused("approval_closed"):
        approvals.task_decide(by=head, task=task, decision="approve")


def test_nobody_but_authors_to_approve(manager, head, customer, contract, product, below_list):
    """The only head of sales changed the order last: no approver is left."""
    from orderdesk.testing.factories import SalesTeamFactory

    team = SalesTeamFactory(head=head)
    team.members.add(manager)
    order = cheap_order(manager, customer, product)
    order_line_update(by=head, order=order, line_id=order.lines.first().pk, unit_price="91")
    with refused("approval_no_approver"):
        order_submit(by=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


def test_an_author_never_approves(manager, head, customer, contract, product, below_list):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    task = task_of(head, order)
    # an assignment that slipped through (defence in depth): the author is refused
    stray = ApprovalTask.objects.create(stage=task.stage, approval=task.approval, assignee=manager,
                                        due_at=task.due_at)  # fmt: skip
    with refused("approver_is_author"):
        approvals.task_decide(by=manager, task=stray, decision="approve")


def test_comment_thread(manager, head, customer, contract, product, below_list):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    approval = Approval.objects.get(subject_id=order.pk)
    approvals.comment_add(by=head, approval=approval, text="why 90?")
    approvals.comment_add(by=manager, approval=approval, text="big customer")
    with refused("approval_comment_empty"):
        approvals.comment_add(by=head, approval=approval, text=" ")
    outsider = UserFactory(username="outsider", roles=["sales_manager"])
    with refused("approval_not_found"):
        approvals.comment_add(by=outsider, approval=approval, text="hi")
    assert [c.text for c in approval.comments.all()] == ["why 90?", "big customer"]
    assert actions(order).count("approvals.comment.added") == 2


# --- visibility through every path --------------------------------------------------------------


def test_tasks_visible_only_to_assignees_deputies_and_admins(
    manager, head, admin_user, customer, contract, product, below_list, client
):
    order = cheap_order(manager, customer, product)
    order_submit(by=manager, order=order)
    task = task_of(head, order)
    deputy = UserFactory(username="dep", roles=[])
    today = timezone.localdate()
    approvals.delegation_set(by=head, user=head, deputy=deputy, valid_from=today, valid_to=today)
    outsider = UserFactory(username="outsider", roles=["sales_head"])
    api = APIClient()
    for user, visible in (
        (head, True),
        (deputy, True),
        (admin_user, True),
        (outsider, False),
        (manager, False),
    ):
        api.force_authenticate(user)
        r = api.get(f"/api/v1/approvals/tasks/{task.pk}/")
        assert r.status_code == (200 if visible else 404), (user, r.content)
        listed = [t["id"] for t in api.get("/api/v1/approvals/tasks/").json()["results"]]
        assert (task.pk in listed) == visible
        client.force_login(user)
        page = client.get(reverse("orders:approvals:task", args=[task.pk]))
        assert page.status_code == (200 if visible else 404)
        if not visible:
            post = client.post(
                reverse("orders:approvals:decide", args=[task.pk]), {"decision": "approve"}
            )
            assert post.status_code == 404
    api.force_authenticate(outsider)
    r = api.post(
        f"/api/v1/approvals/tasks/{task.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert r.status_code == 404
    assert r.json()["code"] == "approval_task_not_found"


def test_api_submit_preview_and_decide(manager, head, customer, contract, product, below_list):
    order = cheap_order(manager, customer, product)
    api = APIClient()
    api.force_authenticate(manager)
    preview = api.get(f"/api/v1/orders/{order.pk}/submit/preview/").json()
    assert preview["approval_needed"] is True and preview["rules"][0]["kind"] == "price_below_list"
    r = api.post(f"/api/v1/orders/{order.pk}/submit/")
    assert r.status_code == 200 and r.json()["status"] == "pending_approval"
    api.force_authenticate(head)
    tasks = api.get("/api/v1/approvals/tasks/").json()["results"]
    assert tasks[0]["order"]["number"] == order.number
    detail = api.get(f"/api/v1/approvals/tasks/{tasks[0]['id']}/").json()
    assert detail["deviations"][0]["standard"] == "100" and detail["deviations"][0]["value"] == "90"
    r = api.post(f"/api/v1/approvals/tasks/{tasks[0]['id']}/decide/",
                 {"decision": "approve", "version": 7}, format="json")  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (409, "approval_changed")
    r = api.post(
        f"/api/v1/orders/{order.pk}/decide/",
        {"decision": "approve", "comment": "fine"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "confirmed"


def test_rules_api(admin_user, manager):
    api = APIClient()
    api.force_authenticate(admin_user)
    r = api.post(
        "/api/v1/approvals/rules/",
        {"name": "x", "kind": "price_below_list", "stages": []},
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (400, "approval_route_empty")
    r = api.post("/api/v1/approvals/rules/", {"name": "x", "kind": "discount_over_cap", "threshold": "10",
                 "stages": [{"role": "sales_head"}, {"users": [admin_user.pk], "mode": "all"}]}, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    assert [s["position"] for s in r.json()["stages"]] == [1, 2]
    api.force_authenticate(manager)
    r = api.post(
        "/api/v1/approvals/rules/",
        {"name": "x", "kind": "discount_over_cap", "stages": [{"role": "sales_head"}]},
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (403, "approval_rules_forbidden")


def test_pages_card_preview_inbox_badge(
    manager, head, customer, contract, product, below_list, client
):
    order = cheap_order(manager, customer, product)
    client.force_login(manager)
    card = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Submit for approval" in card and "Price below list" in card
    assert head.get_full_name() in card
    r = client.post(reverse("orders:submit", args=[order.pk]))
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    card = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Pending approval" in card
    client.force_login(head)
    box = client.get(reverse("orders:approvals:inbox")).content.decode()
    assert order.number in box
    task = task_of(head, order)
    page = client.get(reverse("orders:approvals:task", args=[task.pk])).content.decode()
    assert "price_below_list" in page
    r = client.post(reverse("orders:approvals:decide", args=[task.pk]),
                    {"decision": "approve", "version": task.approval.version})  # fmt: skip
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


# --- concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
def test_two_approvers_deciding_one_stage_at_once_record_one_decision(committed_db, on_postgres):
    from conftest import (
        ContractFactory,
        CustomerFactory,
        PriceListFactory,
        PriceListItemFactory,
        ProductFactory,
        WarehouseFactory,
    )

    admin = UserFactory(username="admin", roles=["administrator"])
    manager = UserFactory(username="manager", roles=["sales_manager"])
    heads = [UserFactory(username=f"head{i}", roles=["sales_head"]) for i in range(2)]
    WarehouseFactory(code="MAIN")
    plist = PriceListFactory(code="W")
    product = ProductFactory(sku="P1", cost_price=D("10"))
    PriceListItemFactory(price_list=plist, product=product, price=D("100"))
    customer = CustomerFactory(manager=manager)
    ContractFactory(customer=customer, price_list=plist)
    approvals.rule_save(
        by=admin, name="r", kind="price_below_list", stages=[{"role": "sales_head"}]
    )
    for _round in range(5):
        order = cheap_order(manager, customer, product)
        order_submit(by=manager, order=order)
        tasks = [task_of(h, order) for h in heads]
        barrier = threading.Barrier(2)
        outcomes = []

        def decide(user, task, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                approvals.task_decide(by=user, task=task, decision="approve")
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=decide, args=(h, t)) for h, t in zip(heads, tasks, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) in (
            ["approval_already_decided", "ok"],
            ["approval_closed", "ok"],
        ), outcomes
        assert ApprovalDecision.objects.filter(approval__subject_id=order.pk).count() == 1
        order.refresh_from_db()
        assert order.status == OrderStatus.CONFIRMED
