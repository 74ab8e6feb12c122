"""The warehouse's reactions to order changes made elsewhere, one test per path that emits an
orders hook: cancelling and closing return the stock; a confirmation by approval or by a
credit release reserves and releases in the confirming transaction (nothing is left for
after the commit); a prepayment releases the order and the last payment of a shipped order
closes it (after the commit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.db.models.signals import post_save

from orderdesk.approvals import services as approvals
from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.billing.services import payment_create
from orderdesk.credit import services as credit
from orderdesk.fulfillment.models import Release
from orderdesk.fulfillment.services import shipment_create
from orderdesk.orders import hooks
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services import (
    order_amend,
    order_cancel,
    order_close,
    order_confirm,
    order_decide,
    order_line_update,
    order_submit,
)
from orderdesk.orders.services import order_release as credit_release
from orderdesk.receivables.models import ItemKind, OpenItem, Side
from orderdesk.testing.factories import UserFactory

from .conftest import balance, lines_of, make_order, receive, today

LATER = dt.timedelta(days=10)


@pytest.fixture
def stocked(storekeeper, product, warehouse):
    receive(storekeeper, product, warehouse, 10)
    return product


@pytest.fixture
def controller(db):
    return UserFactory(username="cc", roles=["credit_controller"])


def actions(order) -> list[str]:
    return list(
        Event.objects.filter(stream=stream_of(order))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def reload(order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_no_signal_reacts_to_order_saves():
    """Workflow runs through explicit hooks (orders/hooks.py), never through signals."""
    assert not post_save.has_listeners(Order)


def test_cancelling_an_order_returns_its_reservations(manager, customer, stocked, warehouse):
    order = make_order(manager, customer, [(stocked, 6, None)], requested=today() + LATER)
    assert balance(stocked, warehouse).reserved == 6
    order_cancel(by=manager, order=order, reason="duplicate")
    assert balance(stocked, warehouse).reserved == 0
    assert lines_of(order)[0].reservation.quantity == 0
    returned = Event.objects.get(stream=stream_of(order), action="fulfillment.stock.unreserved")
    assert returned.data["reason"] == "cancelled" and returned.actor == manager
    lines = [(li["position"], Decimal(str(li["quantity"]))) for li in returned.data["lines"]]
    assert lines == [(1, Decimal(6))]
    acts = actions(order)
    assert acts.index("orders.order.cancelled") < acts.index("fulfillment.stock.unreserved")


def test_closing_an_order_by_hand_returns_what_is_still_reserved(
    manager, customer, stocked, warehouse
):
    order = make_order(manager, customer, [(stocked, 4, None)], requested=today() + LATER)
    assert balance(stocked, warehouse).reserved == 4
    order_close(by=manager, order=order)
    assert reload(order).status == OrderStatus.CLOSED
    assert balance(stocked, warehouse).reserved == 0
    returned = Event.objects.get(stream=stream_of(order), action="fulfillment.stock.unreserved")
    assert returned.data["reason"] == "closed"


def test_confirmation_by_approval_reserves_and_releases_in_the_approving_transaction(
    manager,
    head,
    admin_user,
    customer,
    stocked,
    warehouse,
    django_capture_on_commit_callbacks,
):
    approvals.rule_save(
        by=admin_user,
        name="Price below list",
        kind="price_below_list",
        stages=[{"role": "sales_head", "mode": "any"}],
    )
    order = make_order(manager, customer, [(stocked, 4, None)], confirm=False)
    order_line_update(by=manager, order=order, line_id=lines_of(order)[0].pk, unit_price="90")
    order_submit(by=manager, order=order)
    assert reload(order).status == OrderStatus.PENDING_APPROVAL
    assert balance(stocked, warehouse).reserved == 0

    with django_capture_on_commit_callbacks() as callbacks:
        order_decide(by=head, order=order, decision="approve", comment="ok")
    # in the approving transaction: confirmed, reserved and released; nothing waits
    assert not callbacks
    order = reload(order)
    assert order.status == OrderStatus.CONFIRMED and order.fulfillment_status == "released"
    assert lines_of(order)[0].reservation.quantity == 4
    assert balance(stocked, warehouse).reserved == 4
    release = Release.objects.get(order=order)
    assert release.automatic and release.released_by is None
    acts = actions(order)
    assert acts[acts.index("orders.order.confirmed") :] == [
        "orders.order.confirmed",
        "fulfillment.stock.reserved",
        "fulfillment.order.released",
        "orders.order.fulfillment_status_changed",
    ]
    released = Event.objects.get(stream=stream_of(order), action="fulfillment.order.released")
    assert released.actor_name == "system" and released.data["automatic"] is True
    reserved = Event.objects.get(stream=stream_of(order), action="fulfillment.stock.reserved")
    assert reserved.actor == head


def test_reconfirmation_after_a_material_amendment_reserves_what_the_new_quantity_lacks(
    manager, head, admin_user, customer, stocked, warehouse, django_capture_on_commit_callbacks
):
    approvals.rule_save(
        by=admin_user,
        name="Price below list",
        kind="price_below_list",
        stages=[{"role": "sales_head", "mode": "any"}],
    )
    order = make_order(manager, customer, [(stocked, 4, None)], confirm=False)
    line = lines_of(order)[0]
    order_line_update(by=manager, order=order, line_id=line.pk, unit_price="90")
    order_submit(by=manager, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        order_decide(by=head, order=order, decision="approve")
    assert balance(stocked, warehouse).reserved == 4

    order_amend(by=manager, order=order, reason="more", update={line.pk: {"quantity": "6"}})
    assert reload(order).status == OrderStatus.PENDING_APPROVAL  # reopened
    assert balance(stocked, warehouse).reserved == 4
    order_decide(by=head, order=order, decision="approve")
    assert reload(order).status == OrderStatus.CONFIRMED
    assert lines_of(order)[0].reservation.quantity == 6
    assert balance(stocked, warehouse).reserved == 6


def test_a_credit_release_reserves_and_releases_in_its_transaction(
    manager, controller, customer, stocked, warehouse, django_capture_on_commit_callbacks
):
    credit.limit_set(by=controller, customer=customer, amount="1", mode="block_confirmation")
    order = make_order(manager, customer, [(stocked, 3, None)])
    assert order.status == OrderStatus.CREDIT_HOLD
    assert balance(stocked, warehouse).reserved == 0

    with django_capture_on_commit_callbacks() as callbacks:
        credit_release(by=controller, order=order, comment="pays tomorrow")
    assert not callbacks
    order = reload(order)
    assert order.status == OrderStatus.CONFIRMED and order.fulfillment_status == "released"
    assert lines_of(order)[0].reservation.quantity == 3


def test_the_prepayment_releases_the_order_after_the_commit(
    manager, customer, stocked, accountant, company, django_capture_on_commit_callbacks
):
    order = make_order(manager, customer, [(stocked, 2, None)], terms="prepay100")
    assert order.fulfillment_status == "not_released"
    with django_capture_on_commit_callbacks() as callbacks:
        payment_create(
            by=accountant,
            customer=customer,
            amount=order.gross_amount,
            currency="UAH",
            order=order,
            bank_reference="PRE-1",
        )
    assert reload(order).fulfillment_status == "not_released"  # the payment alone
    assert callbacks
    for callback in callbacks:
        callback()
    order = reload(order)
    assert order.fulfillment_status == "released"
    released = Event.objects.get(stream=stream_of(order), action="fulfillment.order.released")
    assert released.data["automatic"] is True and released.actor_name == "system"


def test_the_last_payment_of_a_shipped_order_closes_it(
    manager,
    customer,
    stocked,
    warehouse,
    storekeeper,
    accountant,
    company,
    django_capture_on_commit_callbacks,
):
    order = make_order(manager, customer, [(stocked, 3, None)])
    assert order.fulfillment_status == "released"
    shipment_create(by=storekeeper, order=order, lines=[(lines_of(order)[0], 3)])
    order = reload(order)
    assert (order.status, order.fulfillment_status) == (OrderStatus.CONFIRMED, "shipped")
    due = OpenItem.objects.filter(
        order_id=order.pk, side=Side.DEBIT, kind=ItemKind.INVOICE
    ).aggregate(total=Sum("open_amount"))["total"]
    with django_capture_on_commit_callbacks() as callbacks:
        payment_create(
            by=accountant,
            customer=customer,
            amount=due,
            currency="UAH",
            order=order,
            bank_reference="PAY-1",
        )
    order = reload(order)
    assert order.payment_status == "paid" and order.status == OrderStatus.CONFIRMED
    for callback in callbacks:
        callback()
    order = reload(order)
    assert order.status == OrderStatus.CLOSED
    closed = Event.objects.get(stream=stream_of(order), action="orders.order.closed")
    assert closed.data == {"automatic": True, "reason": "shipped_and_paid"}
    assert balance(stocked, warehouse).reserved == 0


def test_a_plain_confirmation_reserves_and_releases(
    manager, customer, stocked, warehouse, django_capture_on_commit_callbacks
):
    order = make_order(manager, customer, [(stocked, 2, None)], confirm=False)
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(by=manager, order=order)
    order = reload(order)
    assert order.fulfillment_status == "released"
    assert lines_of(order)[0].reservation.quantity == Decimal(2)


@pytest.fixture
def gate(monkeypatch):
    """An extra RELEASE_BLOCKERS answer the test switches (the registry is restored)."""
    state = {"answer": None}

    def answer(*, order, **_kw):
        if isinstance(state["answer"], Exception):
            raise state["answer"]
        return state["answer"]

    handlers = [*hooks._HANDLERS[hooks.RELEASE_BLOCKERS], ("test.gate", answer)]
    monkeypatch.setitem(hooks._HANDLERS, hooks.RELEASE_BLOCKERS, handlers)
    return state


def test_a_blocker_at_confirmation_is_asked_again_after_the_commit(
    manager, customer, stocked, warehouse, gate, django_capture_on_commit_callbacks
):
    """A blocker's answer may change with what the rest of the confirming transaction
    writes (a credit override's amount is set after the confirmation it allows): the gate
    is asked again after the commit, as before."""
    order = make_order(manager, customer, [(stocked, 2, None)], confirm=False)
    gate["answer"] = "not now"
    with django_capture_on_commit_callbacks() as callbacks:
        confirmed = order_confirm(by=manager, order=order)
    assert confirmed.fulfillment_status == "not_released"
    assert not Release.objects.filter(order=order).exists()
    assert balance(stocked, warehouse).reserved == 2  # the reservation stands
    assert len(callbacks) == 1

    gate["answer"] = None
    callbacks[0]()
    assert reload(order).fulfillment_status == "released"


def test_a_release_that_fails_at_confirmation_never_undoes_it(
    manager, customer, stocked, warehouse, monkeypatch, django_capture_on_commit_callbacks
):
    """The release runs in a savepoint: when it fails after writing (here its history), its
    rows go, the confirmation and the reservation stay, and it is tried after the commit."""
    from orderdesk.fulfillment.services import release as release_module

    order = make_order(manager, customer, [(stocked, 2, None)], confirm=False)
    real = release_module.c.record_order

    def failing(order, by, entries):
        if entries[0].action == "fulfillment.order.released":
            raise RuntimeError("history unavailable")
        return real(order, by, entries)

    monkeypatch.setattr(release_module.c, "record_order", failing)
    with django_capture_on_commit_callbacks() as callbacks:
        confirmed = order_confirm(by=manager, order=order)
    assert confirmed.status == OrderStatus.CONFIRMED
    assert confirmed.fulfillment_status == "not_released"  # in memory too
    order = reload(order)
    assert (order.status, order.fulfillment_status) == (OrderStatus.CONFIRMED, "not_released")
    assert not Release.objects.filter(order=order).exists()
    assert balance(stocked, warehouse).reserved == 2
    assert "fulfillment.order.released" not in actions(order)

    monkeypatch.setattr(release_module.c, "record_order", real)
    assert len(callbacks) == 1
    callbacks[0]()
    assert reload(order).fulfillment_status == "released"


def test_an_order_waiting_for_its_prepayment_is_settled_at_confirmation(
    manager, customer, stocked, company, django_capture_on_commit_callbacks
):
    """The prepayment gate answers the same after the commit: nothing is queued for it."""
    order = make_order(manager, customer, [(stocked, 2, None)], terms="prepay100", confirm=False)
    with django_capture_on_commit_callbacks() as callbacks:
        confirmed = order_confirm(by=manager, order=order)
    assert confirmed.fulfillment_status == "not_released"
    assert not Release.objects.filter(order=order).exists()
    for callback in callbacks:  # billing's payment state may queue its own
        callback()
    assert reload(order).fulfillment_status == "not_released"
