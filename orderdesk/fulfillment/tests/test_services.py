"""Stock, reservations, the release gate, shipments, cancellations, closing: rules and refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.fulfillment.models import FulfillmentSettings, LineCancellation, StockMove
from orderdesk.fulfillment.services import (
    close_if_done,
    line_cancel,
    order_release,
    order_reserve,
    release_due_orders,
    shipment_create,
    stock_adjust,
    stock_receive,
)
from orderdesk.orders import hooks
from orderdesk.orders.models import Order
from orderdesk.orders.services import order_cancel

from .conftest import balance, lines_of, make_order, receive, refused, today

LATER = dt.timedelta(days=10)


@pytest.fixture
def stocked(storekeeper, product, warehouse):
    receive(storekeeper, product, warehouse, 10)
    return product


def test_receipt_and_adjustment_move_on_hand_with_history(storekeeper, product, warehouse):
    receive(storekeeper, product, warehouse, "12.5")
    move = stock_adjust(
        by=storekeeper, product=product, warehouse=warehouse, quantity="-2.5", comment="count"
    )
    assert balance(product, warehouse).on_hand == 10
    assert move.on_hand_after == 10 and move.kind == "adjustment"
    events = Event.objects.filter(stream=stream_of(balance(product, warehouse)))
    assert [e.action for e in events.order_by("seq")] == [
        "fulfillment.stock.receipt",
        "fulfillment.stock.adjustment",
    ]


def test_stock_changes_are_for_the_warehouse(manager, product, warehouse):
    with refused("stock_not_permitted"):
        stock_receive(by=manager, product=product, warehouse=warehouse, quantity=1)


def test_adjustment_needs_a_comment_and_a_quantity(storekeeper, product, warehouse):
    with refused("adjustment_comment_required"):
        stock_adjust(by=storekeeper, product=product, warehouse=warehouse, quantity=-1)
    with refused("quantity_zero"):
        stock_adjust(by=storekeeper, product=product, warehouse=warehouse, quantity=0, comment="x")
    with refused("quantity_not_positive"):
        stock_receive(by=storekeeper, product=product, warehouse=warehouse, quantity="-3")


def test_negative_adjustment_below_reserved_is_refused(
    manager, customer, stocked, warehouse, storekeeper
):
    make_order(manager, customer, [(stocked, 8, None)])
    assert balance(stocked, warehouse).reserved == 8
    with refused("stock_below_reserved"):
        stock_adjust(
            by=storekeeper, product=stocked, warehouse=warehouse, quantity=-3, comment="lost"
        )
    stock_adjust(by=storekeeper, product=stocked, warehouse=warehouse, quantity=-2, comment="lost")
    assert balance(stocked, warehouse).on_hand == 8


def test_reservation_takes_what_is_available_and_backorders_the_rest(
    manager, customer, stocked, warehouse, storekeeper
):
    first = make_order(manager, customer, [(stocked, 7, None)])
    second = make_order(manager, customer, [(stocked, 7, None)])
    assert lines_of(first)[0].reservation.quantity == 7
    assert lines_of(second)[0].reservation.quantity == 3  # 4 backordered
    assert balance(stocked, warehouse).reserved == 10
    FulfillmentSettings.objects.create(reserve_on_receipt=False)  # reserved by hand here
    receive(storekeeper, stocked, warehouse, 10)
    assert balance(stocked, warehouse).reserved == 10
    changes = order_reserve(by=manager, order=second)
    assert changes == [{"position": 1, "reserved": Decimal("4"), "backordered": Decimal("0")}]
    assert balance(stocked, warehouse).reserved == 14
    assert order_reserve(by=manager, order=second) == []  # nothing more to hold


def test_unscheduled_line_with_a_future_date_waits_for_its_date(manager, customer, stocked):
    order = make_order(manager, customer, [(stocked, 4, None)], requested=today() + LATER)
    assert order.fulfillment_status == "not_released"
    assert release_due_orders(on=today()) == []
    released = release_due_orders(on=today() + LATER)
    assert len(released) == 1 and released[0].automatic
    order.refresh_from_db()
    assert order.fulfillment_status == "released"
    event = Event.objects.get(stream=stream_of(order), action="fulfillment.order.released")
    assert event.actor_name == "system" and event.data["automatic"] is True


def test_a_head_of_sales_releases_by_hand_and_a_manager_may_not(
    manager, head, customer, stocked, storekeeper
):
    order = make_order(manager, customer, [(stocked, 4, None)], requested=today() + LATER)
    with refused("release_not_permitted"):
        order_release(by=manager, order=order)
    release = order_release(by=head, order=order)
    assert release.released_by == head and not release.automatic
    with refused("nothing_to_release"):
        order_release(by=head, order=order)
    shipment_create(by=storekeeper, order=order, lines=[(lines_of(order)[0], 4)])


def test_releasing_an_order_on_credit_hold_is_refused(admin_user, manager, customer, stocked):
    order = make_order(manager, customer, [(stocked, 4, None)], requested=today() + LATER)
    Order.objects.filter(pk=order.pk).update(status="credit_hold")
    with refused("order_on_credit_hold"):
        order_release(by=admin_user, order=order)
    assert release_due_orders(on=today() + LATER) == []


def test_a_release_blocker_keeps_the_order_from_the_warehouse(
    monkeypatch, admin_user, manager, customer, stocked
):
    handlers = list(hooks._HANDLERS[hooks.RELEASE_BLOCKERS])
    monkeypatch.setitem(
        hooks._HANDLERS,
        hooks.RELEASE_BLOCKERS,
        [*handlers, ("test.blocker", lambda order, **kw: "credit limit exceeded")],
    )
    order = make_order(manager, customer, [(stocked, 4, None)])
    assert order.fulfillment_status == "not_released"
    with refused("release_blocked") as info:
        order_release(by=admin_user, order=order)
    assert "credit limit exceeded" in info.value.detail


def test_prepayment_terms_release_only_after_the_prepayment(
    manager,
    customer,
    stocked,
    accountant,
    company,
    storekeeper,
    admin_user,
    django_capture_on_commit_callbacks,
):
    from orderdesk.billing.services import payment_create

    order = make_order(manager, customer, [(stocked, 2, None)], terms="prepay100")
    assert order.fulfillment_status == "not_released"
    assert lines_of(order)[0].reservation.quantity == 2  # held while waiting for the money
    with refused("prepayment_not_received"):
        order_release(by=admin_user, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payment_create(
            by=accountant,
            customer=customer,
            amount=order.gross_amount,
            currency="UAH",
            order=order,
            bank_reference="PRE-1",
        )
    order.refresh_from_db()
    assert order.fulfillment_status == "released"
    shipment = shipment_create(by=storekeeper, order=order, lines=[(lines_of(order)[0], 2)])
    assert shipment.delivery_note is not None


def test_shipping_more_than_released_or_ordered_is_refused(manager, customer, stocked, storekeeper):
    d = today()
    order = make_order(manager, customer, [(stocked, 6, [(d, 2), (d + LATER, 4)])])
    line = lines_of(order)[0]
    with refused("shipment_exceeds_released"):
        shipment_create(by=storekeeper, order=order, lines=[(line, 3)])
    with refused("shipment_exceeds_ordered"):
        shipment_create(by=storekeeper, order=order, lines=[(line, 7)])
    with refused("quantity_not_positive"):
        shipment_create(by=storekeeper, order=order, lines=[(line, 0)])
    with refused("line_unknown"):
        shipment_create(by=storekeeper, order=order, lines=[(999999, 1)])
    with refused("shipment_empty"):
        shipment_create(by=storekeeper, order=order, lines=[])


def test_shipping_a_cancelled_line_is_refused(manager, customer, stocked, storekeeper):
    order = make_order(manager, customer, [(stocked, 4, None)])
    line = lines_of(order)[0]
    line_cancel(by=manager, order=order, line=line, reason="customer_refused")
    with refused("line_cancelled"):
        shipment_create(by=storekeeper, order=order, lines=[(line, 1)])


def test_cancelling_a_shipped_quantity_is_refused(manager, customer, stocked, storekeeper):
    order = make_order(manager, customer, [(stocked, 5, None)])
    line = lines_of(order)[0]
    shipment_create(by=storekeeper, order=order, lines=[(line, 3)])
    with refused("cancel_exceeds_remainder"):
        line_cancel(by=manager, order=order, line=line, quantity=3, reason="duplicate")
    with refused("cancel_comment_required"):
        line_cancel(by=manager, order=order, line=line, reason="other")
    with refused("cancel_reason_unknown"):
        line_cancel(by=manager, order=order, line=line, reason="bored")
    with refused("order_not_found"):
        line_cancel(by=storekeeper, order=order.pk + 1000, line=line, reason="duplicate")
    cancellation = line_cancel(
        by=manager, order=order, line=line, reason="other", comment="changed their mind"
    )
    assert cancellation.quantity == 2 and cancellation.reservation_returned == 2
    with refused("line_nothing_to_cancel"):
        line_cancel(by=manager, order=order, line=line, reason="duplicate")


def test_cancelling_returns_the_reserved_stock(manager, customer, stocked, warehouse):
    order = make_order(manager, customer, [(stocked, 6, None)])
    line = lines_of(order)[0]
    line_cancel(by=manager, order=order, line=line, quantity=4, reason="price_changed")
    assert balance(stocked, warehouse).reserved == 2
    line.refresh_from_db()
    assert line.cancelled_quantity == 4 and line.reservation.quantity == 2
    event = Event.objects.get(stream=stream_of(order), action="orders.line.cancelled")
    assert event.data["reason"] == "price_changed"
    assert LineCancellation.objects.filter(reason__code="price_changed").exists()


def test_cancelling_the_order_returns_every_reservation(manager, customer, stocked, warehouse):
    order = make_order(manager, customer, [(stocked, 6, None)], requested=today() + LATER)
    assert balance(stocked, warehouse).reserved == 6
    order_cancel(by=manager, order=order, reason="duplicate")
    assert balance(stocked, warehouse).reserved == 0
    actions = Event.objects.filter(stream=stream_of(order)).values_list("action", flat=True)
    assert "fulfillment.stock.unreserved" in actions


def test_shipping_takes_the_lines_reservation_and_never_others_stock(
    manager, customer, stocked, warehouse, storekeeper
):
    first = make_order(manager, customer, [(stocked, 6, None)])
    second = make_order(manager, customer, [(stocked, 6, None)])  # 4 held, 2 backordered
    line = lines_of(second)[0]
    with refused("stock_insufficient"):
        shipment_create(by=storekeeper, order=second, lines=[(line, 5)])
    shipment = shipment_create(by=storekeeper, order=second, lines=[(line, 4)])
    assert shipment.lines.get().from_reservation == 4
    assert balance(stocked, warehouse).on_hand == 6 and balance(stocked, warehouse).reserved == 6
    moves = StockMove.objects.filter(shipment=shipment)
    assert [m.quantity for m in moves] == [Decimal("-4")]
    assert lines_of(first)[0].reservation.quantity == 6


def test_shipping_is_for_the_warehouse(manager, customer, stocked):
    order = make_order(manager, customer, [(stocked, 2, None)])
    with refused("shipment_not_permitted"):
        shipment_create(by=manager, order=order, lines=[(lines_of(order)[0], 1)])


def test_the_setting_keeps_partially_shipped_orders_open(manager, customer, stocked, storekeeper):
    FulfillmentSettings.objects.create(close_partially_shipped=False)
    order = make_order(manager, customer, [(stocked, 5, None)])
    line = lines_of(order)[0]
    shipment_create(by=storekeeper, order=order, lines=[(line, 3)])
    line_cancel(by=manager, order=order, line=line, reason="out_of_stock")
    Order.objects.filter(pk=order.pk).update(payment_status="paid")
    assert close_if_done(order=order) is None
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    FulfillmentSettings.objects.update(close_partially_shipped=True)
    assert close_if_done(order=order).status == "closed"


def test_a_fully_shipped_unpaid_order_stays_open(manager, customer, stocked, storekeeper):
    order = make_order(manager, customer, [(stocked, 2, None)])
    shipment_create(by=storekeeper, order=order, lines=[(lines_of(order)[0], 2)])
    order.refresh_from_db()
    assert order.fulfillment_status == "shipped" and order.status == "confirmed"
    assert close_if_done(order=order) is None


def test_a_cancelled_remainder_no_longer_counts_against_credit(manager, customer, stocked):
    from orderdesk.credit.models import Commitment

    # given a confirmed order of 6 units: its whole total is committed credit
    order = make_order(manager, customer, [(stocked, 6, None)])
    committed = Commitment.objects.get(order_id=order.pk).amount
    assert committed == order.base_gross_amount
    # when 4 units are cancelled
    line_cancel(by=manager, order=order, line=lines_of(order)[0], quantity=4, reason="duplicate")
    # then only the other 2 stay committed
    assert Commitment.objects.get(order_id=order.pk).amount == (
        order.base_gross_amount * 2 / 6
    ).quantize(Decimal("0.01"))
