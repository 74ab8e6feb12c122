"""Stock an order gives back (cancelled, closed, amended down, a line cancelled or removed)
and stock a count finds goes at once to the backorders, the earliest due first, as a
receipt's does; never back to the lines that gave it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.fulfillment.models import FulfillmentSettings
from orderdesk.fulfillment.services import line_cancel, order_reserve, stock_adjust
from orderdesk.orders.services import order_amend, order_cancel, order_confirm

from .conftest import balance, lines_of, make_order, receive, today
from .test_receipts import reserved, run_all


def last_event(order, action: str) -> Event:
    return Event.objects.filter(stream=stream_of(order), action=action).order_by("-seq").first()


@pytest.fixture
def holder_and_waiting(manager, customer, product, warehouse, storekeeper):
    """`holder` holds all 6 on hand; `later` and `sooner` wait for 4 each (backordered)."""
    receive(storekeeper, product, warehouse, 6)
    holder = make_order(manager, customer, [(product, 6, None)])
    later = make_order(manager, customer, [(product, 4, None)], requested=today() + dt.timedelta(9))
    sooner = make_order(
        manager, customer, [(product, 4, None)], requested=today() + dt.timedelta(2)
    )
    assert [reserved(o) for o in (holder, later, sooner)] == [6, 0, 0]
    return holder, later, sooner


def test_a_cancelled_order_passes_its_stock_to_the_backorders_earliest_due_first(
    manager, product, warehouse, holder_and_waiting
):
    holder, later, sooner = holder_and_waiting

    order_cancel(by=manager, order=holder, reason="duplicate")

    assert [reserved(o) for o in (holder, later, sooner)] == [0, 2, 4]
    assert (balance(product, warehouse).on_hand, balance(product, warehouse).reserved) == (6, 6)
    served = last_event(sooner, "fulfillment.stock.reserved")
    assert served.actor == manager
    assert served.data["automatic"] is True and served.data["freed"] == "cancelled"
    assert [(li["position"], Decimal(li["reserved"]), Decimal(li["backordered"]))
            for li in served.data["lines"]] == [(1, 4, 0)]  # fmt: skip
    partly = last_event(later, "fulfillment.stock.reserved")
    assert [(Decimal(li["reserved"]), Decimal(li["backordered"]))
            for li in partly.data["lines"]] == [(2, 2)]  # fmt: skip
    given_back = last_event(holder, "fulfillment.stock.unreserved")
    assert given_back.data["reason"] == "cancelled"
    assert [(p["position"], Decimal(p["quantity"])) for p in given_back.data["passed_on"]] == [
        (1, 6)
    ]
    # the history of one order does not name the other (its manager may not see it)
    assert holder.number not in str(served.data) and sooner.number not in str(given_back.data)


def test_a_cancelled_line_and_an_amendment_pass_on_what_they_no_longer_need(
    manager, product, warehouse, holder_and_waiting
):
    holder, later, sooner = holder_and_waiting
    line = lines_of(holder)[0]

    line_cancel(by=manager, order=holder, line=line, quantity=1, reason="duplicate")
    assert [reserved(o) for o in (holder, later, sooner)] == [5, 0, 1]
    cancelled = last_event(holder, "fulfillment.stock.unreserved")
    assert [Decimal(p["quantity"]) for p in cancelled.data["passed_on"]] == [1]
    assert last_event(sooner, "fulfillment.stock.reserved").data["freed"] == "line_cancelled"

    # 6 ordered, 1 cancelled: 2 leaves 1 open, and 4 of the 5 held go on
    order_amend(by=manager, order=holder.pk, reason="less", update={line.pk: {"quantity": "2"}})
    assert [reserved(o) for o in (holder, later, sooner)] == [1, 1, 4]
    assert last_event(later, "fulfillment.stock.reserved").data["freed"] == "amended"
    assert balance(product, warehouse).reserved == 6


def test_stock_a_count_finds_goes_to_the_backorders_a_shortfall_to_none(
    manager, storekeeper, product, warehouse, holder_and_waiting
):
    holder, later, sooner = holder_and_waiting

    move = stock_adjust(
        by=storekeeper, product=product, warehouse=warehouse, quantity="5", comment="recount"
    )

    assert [reserved(o) for o in (holder, later, sooner)] == [6, 1, 4]
    served = last_event(later, "fulfillment.stock.reserved")
    assert served.actor == storekeeper and served.data["adjustment"] == move.pk
    assert [
        (r["order"], Decimal(r["quantity"])) for r in move_event(move).data["reserved_for"]
    ] == [
        (sooner.number, 4),
        (later.number, 1),
    ]
    assert (balance(product, warehouse).on_hand, balance(product, warehouse).reserved) == (11, 11)


def move_event(move) -> Event:
    return Event.objects.get(action="fulfillment.stock.adjustment", data__move=move.pk)


def test_with_the_setting_off_freed_stock_stays_free(
    manager, storekeeper, product, warehouse, holder_and_waiting
):
    holder, later, sooner = holder_and_waiting
    FulfillmentSettings.objects.create(reserve_on_receipt=False)

    order_cancel(by=manager, order=holder, reason="duplicate")
    stock_adjust(by=storekeeper, product=product, warehouse=warehouse, quantity="2", comment="x")

    assert [reserved(o) for o in (later, sooner)] == [0, 0]
    assert balance(product, warehouse).reserved == 0
    assert "passed_on" not in last_event(holder, "fulfillment.stock.unreserved").data
    order_reserve(by=manager, order=sooner)  # a person still can
    assert reserved(sooner) == 4


def test_freed_stock_never_goes_back_to_the_lines_giving_it(
    manager, customer, product, warehouse, storekeeper
):
    """A removed line gives its stock back and stays open until it is deleted: it is not
    served its own stock again. Another line of the same order is a backorder like any
    other."""
    receive(storekeeper, product, warehouse, 3)
    order = make_order(manager, customer, [(product, 3, None), (product, 4, None)])
    first, second = lines_of(order)
    assert (first.reservation.quantity, second.reservation.quantity) == (3, 0)

    order_amend(by=manager, order=order.pk, reason="not needed", remove=[first.pk])

    second.reservation.refresh_from_db()
    assert second.reservation.quantity == 3  # the removed line's stock, to the waiting line
    assert balance(product, warehouse).reserved == 3
    given_back = last_event(order, "fulfillment.stock.unreserved")
    assert given_back.data["reason"] == "line_removed"
    assert [Decimal(p["quantity"]) for p in given_back.data["passed_on"]] == [3]
    served = last_event(order, "fulfillment.stock.reserved")
    assert served.data["freed"] == "line_removed"
    assert [(li["position"], Decimal(li["reserved"])) for li in served.data["lines"]] == [(2, 3)]


@pytest.mark.postgres
def test_cancellations_confirmations_and_reservations_at_once_hold_no_more_than_on_hand(
    on_postgres, committed_db, manager, customer, product, warehouse, storekeeper
):
    """Cancelling orders (each holding its order row, then the balance, then locking waiting
    orders with SKIP LOCKED) while other orders are confirmed and reserved for by hand (order
    row first, then the balance): no deadlock, no error, and never more held than on hand."""
    receive(storekeeper, product, warehouse, 10)
    holders = [make_order(manager, customer, [(product, 5, None)]) for _ in range(2)]
    waiting = [
        make_order(manager, customer, [(product, 3, None)], requested=today() + dt.timedelta(d))
        for d in (1, 2, 3)
    ]
    drafts = [make_order(manager, customer, [(product, 2, None)], confirm=False) for _ in range(2)]
    assert [reserved(o) for o in holders + waiting] == [5, 5, 0, 0, 0]

    results = run_all(
        [lambda o=o: order_cancel(by=manager, order=o.pk, reason="duplicate") for o in holders]
        + [lambda o=o: order_reserve(by=manager, order=o.pk) for o in waiting]
        + [lambda o=o: order_confirm(by=manager, order=o.pk) for o in drafts]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    held = [reserved(o) for o in waiting + drafts]
    assert [reserved(o) for o in holders] == [0, 0]
    assert balance(product, warehouse).reserved == sum(held) == 10  # 9 wanted + 4: all 10 go
    assert all(0 <= h <= q for h, q in zip(held, [3, 3, 3, 2, 2], strict=True))


def test_through_the_api_and_on_the_card(client, manager, product, warehouse, holder_and_waiting):
    """A cancellation through the API serves the waiting order; the card's history says where
    its stock came from, in the user's language."""
    holder, later, sooner = holder_and_waiting
    client.force_login(manager)
    response = client.post(
        f"/api/v1/orders/{holder.pk}/cancel/",
        {"reason": "duplicate"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [reserved(o) for o in (later, sooner)] == [2, 4]

    card = client.get(f"/orders/{sooner.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "From stock another order gave back: <em>order cancelled</em>" in card
    assert "line 1: reserved 4, backordered 0" in card
    card = client.get(f"/orders/{holder.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Passed on to orders waiting for stock: <em>line 1: quantity 6</em>" in card
    card = client.get(f"/orders/{sooner.pk}/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Із залишку, що повернуло інше замовлення: <em>замовлення скасовано</em>" in card
