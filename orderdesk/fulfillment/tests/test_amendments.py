"""Amending a confirmed order's lines and the warehouse's reservations: a removed line gives
its stock back before its rows go (hooks.LINES_REMOVING), a line that needs less returns the
rest of its reservation (ORDER_CHANGED "amended"), a raised or added line of an order still
confirmed is reserved at once, a line with history is not removed, and the fulfillment state
follows the new quantities once something has shipped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import TestCase

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.fulfillment.models import Reservation
from orderdesk.fulfillment.services import line_cancel, shipment_create
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services import order_amend

from .conftest import balance, lines_of, make_order, receive, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(storekeeper, product, second_product, warehouse):
    receive(storekeeper, product, warehouse, 10)
    receive(storekeeper, second_product, warehouse, 10)
    return product


def amend(manager, order, **changes):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return order_amend(by=manager, order=order.pk, reason="customer asked", **changes)


def unreserved(order) -> list[dict]:
    return list(
        Event.objects.filter(stream=stream_of(order), action="fulfillment.stock.unreserved")
        .order_by("seq")
        .values_list("data", flat=True)
    )


def returned_lines(data: dict) -> list[tuple[int, Decimal]]:
    return [(li["position"], Decimal(str(li["quantity"]))) for li in data["lines"]]


def test_removing_a_reserved_line_returns_its_stock(
    manager, customer, stocked, second_product, warehouse
):
    order = make_order(manager, customer, [(stocked, 4, None), (second_product, 3, None)])
    first, second = lines_of(order)
    assert balance(second_product, warehouse).reserved == 3

    amend(manager, order, remove=[second.pk])

    assert [li.pk for li in lines_of(order)] == [first.pk]
    assert balance(second_product, warehouse).reserved == 0
    assert balance(stocked, warehouse).reserved == 4  # the other line keeps its stock
    assert not Reservation.objects.filter(line_id=second.pk).exists()
    (event,) = unreserved(order)
    assert event["reason"] == "line_removed"
    assert returned_lines(event) == [(2, Decimal(3))]


def test_removing_a_line_with_a_cancelled_part_is_refused(
    manager, customer, stocked, second_product, warehouse
):
    order = make_order(manager, customer, [(stocked, 4, None), (second_product, 3, None)])
    second = lines_of(order)[1]
    line_cancel(
        by=manager, order=order.pk, line=second.pk, quantity=Decimal(1), reason="out_of_stock"
    )
    with refused("line_has_history") as info:
        order_amend(by=manager, order=order.pk, reason="not needed", remove=[second.pk])
    assert info.value.status == 409
    assert balance(second_product, warehouse).reserved == 2


def test_removing_a_shipped_line_is_refused(manager, customer, stocked, storekeeper, warehouse):
    order = make_order(manager, customer, [(stocked, 4, None)])
    line = lines_of(order)[0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        shipment_create(by=storekeeper, order=order.pk, lines=[(line.pk, Decimal(1))])
    with refused("line_has_shipments"):
        order_amend(by=manager, order=order.pk, reason="not needed", remove=[line.pk])


def test_lowering_a_quantity_returns_the_reservation_it_no_longer_needs(
    manager, customer, stocked, warehouse
):
    order = make_order(manager, customer, [(stocked, 6, None)])
    line = lines_of(order)[0]
    assert balance(stocked, warehouse).reserved == 6

    amend(manager, order, update={line.pk: {"quantity": Decimal(4)}})

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert lines_of(order)[0].reservation.quantity == 4
    assert balance(stocked, warehouse).reserved == 4
    (event,) = unreserved(order)
    assert event["reason"] == "amended"
    assert returned_lines(event) == [(1, Decimal(2))]


def test_raising_a_quantity_returns_nothing(manager, customer, stocked, warehouse):
    order = make_order(manager, customer, [(stocked, 4, None)])
    line = lines_of(order)[0]
    amend(manager, order, update={line.pk: {"quantity": Decimal(5)}})
    assert balance(stocked, warehouse).reserved == 5  # the difference is reserved (below)
    assert unreserved(order) == []


def test_lowering_a_partly_shipped_line_keeps_what_is_still_open(
    manager, customer, stocked, storekeeper, warehouse
):
    order = make_order(manager, customer, [(stocked, 8, None)])
    line = lines_of(order)[0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        shipment_create(by=storekeeper, order=order.pk, lines=[(line.pk, Decimal(3))])
    assert balance(stocked, warehouse).reserved == 5

    amend(manager, order, update={line.pk: {"quantity": Decimal(5)}})

    assert lines_of(order)[0].reservation.quantity == 2
    assert balance(stocked, warehouse).reserved == 2
    assert Order.objects.get(pk=order.pk).fulfillment_status == "partially_shipped"


def test_the_fulfillment_state_follows_an_amendment_once_something_shipped(
    manager, customer, stocked, storekeeper, warehouse
):
    order = make_order(manager, customer, [(stocked, 8, None)])
    line = lines_of(order)[0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        shipment_create(by=storekeeper, order=order.pk, lines=[(line.pk, Decimal(3))])

    amend(manager, order, update={line.pk: {"quantity": Decimal(3)}})  # nothing left to ship
    order = Order.objects.get(pk=order.pk)
    assert order.fulfillment_status == "shipped"
    assert balance(stocked, warehouse).reserved == 0
    changed = Event.objects.filter(
        stream=stream_of(order), action="orders.order.fulfillment_status_changed"
    ).latest("seq")
    assert changed.changes["fulfillment_status"] == {
        "from": "partially_shipped",
        "to": "shipped",
    }

    amend(manager, order, update={line.pk: {"quantity": Decimal(4)}})  # one more to ship
    assert Order.objects.get(pk=order.pk).fulfillment_status == "partially_shipped"


def reserved(order) -> list[dict]:
    return list(
        Event.objects.filter(stream=stream_of(order), action="fulfillment.stock.reserved")
        .order_by("seq")
        .values_list("data", flat=True)
    )


def test_raising_a_quantity_of_a_confirmed_order_reserves_the_difference_at_once(
    manager, customer, stocked, warehouse
):
    order = make_order(manager, customer, [(stocked, 4, None)])
    line = lines_of(order)[0]
    assert balance(stocked, warehouse).reserved == 4

    amend(manager, order, update={line.pk: {"quantity": "7"}})

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert Reservation.objects.get(line=line).quantity == 7
    assert balance(stocked, warehouse).reserved == 7
    last = reserved(order)[-1]
    assert last["automatic"] is True
    assert [(li["position"], Decimal(str(li["reserved"]))) for li in last["lines"]] == [
        (1, Decimal(3))
    ]


def test_an_added_line_is_reserved_as_far_as_stock_allows(
    manager, customer, stocked, second_product, warehouse
):
    from orderdesk.orders.services import LineInput

    order = make_order(manager, customer, [(stocked, 4, None)])
    amend(manager, order, add=[LineInput(product=second_product, quantity=Decimal(12))])

    added = lines_of(order)[1]
    assert Reservation.objects.get(line=added).quantity == 10  # 10 in stock, 2 backordered
    assert balance(second_product, warehouse).reserved == 10
    assert balance(stocked, warehouse).reserved == 4  # the first line unchanged
    last = reserved(order)[-1]
    assert [(li["position"], str(li["backordered"])) for li in last["lines"]] == [(2, "2")]
