"""Received goods go to the backorders, the earliest due first, under the balance row lock."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.fulfillment.models import FulfillmentSettings, Reservation
from orderdesk.fulfillment.services import line_cancel, order_reserve, stock_receive
from orderdesk.fulfillment.services.stock import backorders

from .conftest import balance, lines_of, make_order, receive, today


def reserved(order) -> Decimal:
    return lines_of(order)[0].reservation.quantity


def test_a_receipt_serves_backorders_earliest_due_first(
    manager, customer, product, warehouse, storekeeper
):
    # nothing on hand: every order is confirmed with its line backordered
    late = make_order(manager, customer, [(product, 5, None)], requested=today() + dt.timedelta(9))
    soon = make_order(manager, customer, [(product, 4, None)], requested=today() + dt.timedelta(3))
    soon_too = make_order(
        manager, customer, [(product, 4, None)], requested=today() + dt.timedelta(3)
    )
    scheduled = make_order(
        manager,
        customer,
        [(product, 2, [(today() + dt.timedelta(1), 2)])],
        requested=today() + dt.timedelta(20),
    )
    assert [reserved(o) for o in (late, soon, soon_too, scheduled)] == [0, 0, 0, 0]
    assert [b.line.order_id for b in backorders(product.pk, warehouse.pk)] == [
        scheduled.pk,  # its first scheduled date comes first
        soon.pk,  # same date as soon_too, confirmed before it
        soon_too.pk,
        late.pk,
    ]

    move = stock_receive(by=storekeeper, product=product, warehouse=warehouse, quantity="8")

    assert [reserved(o) for o in (late, soon, soon_too, scheduled)] == [0, 4, 2, 2]
    assert (balance(product, warehouse).on_hand, balance(product, warehouse).reserved) == (8, 8)
    event = Event.objects.get(stream=stream_of(soon_too), action="fulfillment.stock.reserved")
    assert event.actor == storekeeper
    assert event.data["automatic"] is True and event.data["receipt"] == move.pk
    assert [(li["position"], Decimal(li["reserved"]), Decimal(li["backordered"])) for li in
            event.data["lines"]] == [(1, 2, 2)]  # fmt: skip
    receipt = Event.objects.get(
        stream=stream_of(balance(product, warehouse)), action="fulfillment.stock.receipt"
    )
    assert [(r["order"], Decimal(r["quantity"])) for r in receipt.data["reserved_for"]] == [
        (scheduled.number, 2),
        (soon.number, 4),
        (soon_too.number, 2),
    ]
    assert not Event.objects.filter(stream=stream_of(late), action="fulfillment.stock.reserved")

    # the next receipt finishes soon_too, then late; the rest stays free
    stock_receive(by=storekeeper, product=product, warehouse=warehouse, quantity="10")
    assert [reserved(o) for o in (late, soon, soon_too, scheduled)] == [5, 4, 4, 2]
    assert (balance(product, warehouse).on_hand, balance(product, warehouse).reserved) == (18, 15)
    assert backorders(product.pk, warehouse.pk) == []


def test_a_receipt_counts_what_is_cancelled_and_leaves_orders_never_reserved_for(
    manager, customer, product, warehouse, storekeeper
):
    order = make_order(manager, customer, [(product, 5, None)])
    line_cancel(by=manager, order=order, line=lines_of(order)[0], quantity=2, reason="duplicate")
    FulfillmentSettings.objects.create(reserve_on_confirm=False)
    by_hand = make_order(manager, customer, [(product, 3, None)])
    assert not Reservation.objects.filter(order=by_hand).exists()  # nobody reserved for it
    receive(storekeeper, product, warehouse, 10)
    assert reserved(order) == 3  # 5 ordered - 2 cancelled
    assert not Reservation.objects.filter(order=by_hand).exists()
    assert balance(product, warehouse).reserved == 3
    order_reserve(by=manager, order=by_hand)  # a person reserves: free stock is there
    assert reserved(by_hand) == 3


def test_the_setting_keeps_receipts_free(manager, customer, product, warehouse, storekeeper):
    FulfillmentSettings.objects.create(reserve_on_receipt=False)
    order = make_order(manager, customer, [(product, 5, None)])
    receive(storekeeper, product, warehouse, 10)
    assert reserved(order) == 0
    assert balance(product, warehouse).reserved == 0


def run_all(targets) -> list:
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def work(i, target):
        try:
            barrier.wait()
            results[i] = target()
        except Exception as exc:  # the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.postgres
def test_receipts_and_reservations_at_once_never_hold_more_than_on_hand(
    on_postgres, committed_db, manager, customer, product, warehouse, storekeeper
):
    orders = [
        make_order(manager, customer, [(product, 5, None)], requested=today() + dt.timedelta(d))
        for d in (3, 1, 2)
    ]
    receipts = [
        lambda: stock_receive(by=storekeeper, product=product, warehouse=warehouse, quantity="1")
        for _ in range(8)
    ]
    reservations = [lambda o=o: order_reserve(by=manager, order=o.pk) for o in orders]
    results = run_all(receipts + reservations + receipts[:4])
    assert not [r for r in results if isinstance(r, Exception)], results
    on_hand = balance(product, warehouse).on_hand
    held = [reserved(o) for o in orders]
    assert on_hand == 12
    assert balance(product, warehouse).reserved == sum(held) == 12
    assert all(0 <= h <= 5 for h in held)
