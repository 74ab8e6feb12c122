"""The issue's scenario: a three-date schedule ships in three parts with documents each
time, one line's remainder is cancelled with a reason, and the order closes after payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.management import call_command
from django.db.models import Sum

from orderdesk.audit.models import Event
from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.billing.services import payment_create
from orderdesk.fulfillment.models import LineCancellation, Shipment
from orderdesk.fulfillment.services import line_cancel, shipment_create
from orderdesk.orders.models import Order
from orderdesk.receivables.models import ItemKind, OpenItem, Side

from .conftest import balance, lines_of, make_order, receive, today


def test_three_dated_parts_ship_with_documents_remainder_cancelled_and_order_closes_after_payment(
    manager,
    customer,
    product,
    second_product,
    warehouse,
    storekeeper,
    accountant,
    company,
    django_capture_on_commit_callbacks,
):
    d1, d2, d3 = today(), today() + dt.timedelta(days=7), today() + dt.timedelta(days=14)
    receive(storekeeper, product, warehouse, 100)
    receive(storekeeper, second_product, warehouse, 3)
    order = make_order(
        manager,
        customer,
        [(product, 30, [(d1, 10), (d2, 10), (d3, 10)]), (second_product, 5, None)],
    )
    a, b = lines_of(order)

    # confirmation reserved what stock allows (B: 3 of 5, 2 backordered) and released day 1
    assert order.fulfillment_status == "released"
    assert a.reservation.quantity == 30 and b.reservation.quantity == 3
    assert (balance(product, warehouse).reserved, balance(second_product, warehouse).reserved) == (
        30,
        3,
    )
    actions = list(Event.objects.filter(stream=stream_of(order)).values_list("action", flat=True))
    assert "fulfillment.stock.reserved" in actions and "fulfillment.order.released" in actions

    # part 1 (day 1): 10 of A, the 3 of B on hand
    first = shipment_create(by=storekeeper, order=order, lines=[(a, 10), (b, 3)], shipped_on=d1)
    assert first.delivery_note.number and first.invoice.number
    assert first.delivery_note.status == "posted" and first.invoice.status == "posted"
    assert balance(product, warehouse).on_hand == 90 and balance(product, warehouse).reserved == 20
    assert balance(second_product, warehouse).on_hand == 0
    assert Order.objects.get(pk=order.pk).fulfillment_status == "partially_shipped"

    # day 2 is not released yet: shipping more is refused
    from .conftest import refused

    with refused("shipment_exceeds_released"):
        shipment_create(by=storekeeper, order=order, lines=[(a, 1)])

    # part 2: the daily command releases day 2's quantity
    call_command("release_orders", "--on", d2.isoformat())
    second = shipment_create(by=storekeeper, order=order, lines=[(a, 10)], shipped_on=d2)
    assert second.delivery_note and second.invoice

    # the rest of B (2) will not come: cancelled with a reason, who and when kept
    cancellation = line_cancel(
        by=manager, order=order, line=b, reason="out_of_stock", comment="supplier stopped"
    )
    assert cancellation.quantity == 2 and cancellation.reason.code == "out_of_stock"
    assert cancellation.created_by == manager and cancellation.created_at
    b.refresh_from_db()
    assert b.cancelled_quantity == 2 and b.shipped_quantity == 3

    # part 3 on day 3
    call_command("release_orders", "--on", d3.isoformat())
    third = shipment_create(by=storekeeper, order=order, lines=[(a, 10)], shipped_on=d3)
    assert third.delivery_note and third.invoice
    order.refresh_from_db()
    assert order.fulfillment_status == "shipped"
    assert order.status == "confirmed"  # shipped, not yet paid
    assert Shipment.objects.filter(order=order).count() == 3
    assert len({s.invoice.number for s in Shipment.objects.filter(order=order)}) == 3
    assert balance(product, warehouse).on_hand == 70 and balance(product, warehouse).reserved == 0

    # the customer pays everything invoiced: the order closes itself (after the commit)
    due = OpenItem.objects.filter(
        order_id=order.pk, side=Side.DEBIT, kind=ItemKind.INVOICE
    ).aggregate(total=Sum("open_amount"))["total"]
    assert due == Decimal("3636.00")  # 30 x 100 + 3 x 10, plus 20 % VAT
    with django_capture_on_commit_callbacks(execute=True):
        payment_create(
            by=accountant,
            customer=customer,
            amount=due,
            currency="UAH",
            payment_date=d3,
            order=order,
            bank_reference="PAY-1",
        )
    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert order.status == "closed" and order.closed_at
    closed = Event.objects.get(stream=stream_of(order), action="orders.order.closed")
    assert closed.data == {"automatic": True, "reason": "shipped_rest_cancelled_and_paid"}
    assert closed.actor_name == "system"
    assert LineCancellation.objects.filter(reason__code="out_of_stock").count() == 1
    assert verify_chain([stream_of(order)])[1] is None
