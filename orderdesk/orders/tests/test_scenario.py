"""A business story: a weekly order from a template, confirmed, amended, closed.

Reads top to bottom like the day of a sales manager; the timeline at the end is what the
order card shows.
"""

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.audit.selectors import verify_chain
from orderdesk.core.errors import DomainError
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.selectors import order_differences, order_timeline
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_close,
    order_confirm,
    order_create_from_template,
    order_line_update,
    order_update,
    template_save,
)
from orderdesk.testing.factories import PriceListItemFactory, ProductFactory

D = Decimal


def test_weekly_order_from_a_template_to_closing(
    manager, customer, contract, price_list, product, warehouse
):
    # GIVEN Альфа buys under contract 15/2026: the Wholesale list, 14 days after shipment,
    #   bank transfer; nails cost 100, screws 40, or 35 from a hundred
    nails = product
    screws = ProductFactory(sku="SCREW-50", name="Шурупи 50 мм")
    PriceListItemFactory(price_list=price_list, product=screws, price=D("40"))
    PriceListItemFactory(price_list=price_list, product=screws, price=D("35"), min_quantity=100)
    # AND the manager keeps the weekly order as a template: 20 nails, 100 screws at 2 % off
    template = template_save(
        by=manager,
        name="Щотижнева поставка",
        lines=[
            LineInput(nails.pk, "20"),
            LineInput(screws.pk, "100", discount_percent="2"),
        ],
    )

    # WHEN she enters this week's order for Альфа from the template
    order = order_create_from_template(by=manager, template=template, customer=customer)

    # THEN the order carries the contract's terms and the list prices, the break included
    assert order.status == OrderStatus.DRAFT
    assert (order.contract, order.payment_terms.code, order.payment_method.code) == (
        contract,
        "net14",
        "bank",
    )
    assert order_differences(order) == {}
    first, second = order.lines.order_by("position")
    assert (first.quantity, first.unit_price) == (D("20"), D("100"))
    assert (second.quantity, second.unit_price, second.discount_percent) == (
        D("100"),
        D("35"),
        D("2"),
    )
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (
        D("5430.00"),
        D("1086.00"),
        D("6516.00"),
    )

    # WHEN the customer phones: 25 nails this time, delivered on Monday
    order_line_update(by=manager, order=order, line_id=first.pk, quantity="25")
    order_update(by=manager, order=order, requested_delivery_date=dt.date(2030, 3, 4))

    # AND she confirms the order
    order_confirm(by=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.gross_amount == D("7116.00")

    # THEN the confirmed order can no longer be changed in passing
    with pytest.raises(DomainError) as refused:
        order_line_update(by=manager, order=order, line_id=second.pk, quantity="110")
    assert refused.value.code == "order_not_editable"

    # WHEN the customer asks for ten more screws, she amends the order with the reason
    amendment = order_amend(
        by=manager,
        order=order,
        reason="Клієнт додав 10 шурупів",
        update={second.pk: {"quantity": "110"}},
    )
    assert amendment.revision == 1

    # AND once the goods are delivered she closes it
    order_close(by=manager, order=order)

    # THEN the order is closed with the amended totals
    order.refresh_from_db()
    assert (order.status, order.revision) == (OrderStatus.CLOSED, 1)
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (
        D("6273.00"),
        D("1254.60"),
        D("7527.60"),
    )

    # AND the timeline tells the whole story, each change with before -> after, by her
    timeline = list(order_timeline(order))
    assert {e.actor for e in timeline} == {manager}
    story = [(e.action, e.object_id, e.changes) for e in timeline]

    def only(changes, *keys):
        return {k: changes[k] for k in keys}

    assert [s[0] for s in story] == [
        "orders.order.created",
        "orders.line.added",
        "orders.line.added",
        "orders.line.changed",
        "orders.order.changed",
        "orders.order.changed",
        "orders.order.confirmed",
        "orders.line.changed",
        "orders.order.changed",
        "orders.order.amended",
        "orders.order.closed",
    ]
    assert timeline[0].data == {"template": "Щотижнева поставка"}
    assert only(story[1][2], "quantity", "unit_price") == {
        "quantity": {"from": None, "to": "20"},
        "unit_price": {"from": None, "to": "100"},
    }
    assert story[3][1] == str(first.pk)
    assert only(story[3][2], "quantity", "net_amount") == {
        "quantity": {"from": "20", "to": "25"},
        "net_amount": {"from": "2000", "to": "2500"},
    }
    assert only(story[4][2], "gross_amount") == {"gross_amount": {"from": "6516", "to": "7116"}}
    assert story[5][2] == {"requested_delivery_date": {"from": None, "to": "2030-03-04"}}
    assert story[6][2] == {"status": {"from": "draft", "to": "confirmed"}}
    assert story[7][1] == str(second.pk)
    assert only(story[7][2], "quantity", "net_amount") == {
        "quantity": {"from": "100", "to": "110"},
        "net_amount": {"from": "3430", "to": "3773"},
    }
    assert only(story[8][2], "gross_amount") == {"gross_amount": {"from": "7116", "to": "7527.6"}}
    assert story[9][2] == {"revision": {"from": 0, "to": 1}}
    assert timeline[9].data == {"revision": 1, "reason": "Клієнт додав 10 шурупів"}
    assert story[10][2] == {"status": {"from": "confirmed", "to": "closed"}}

    # AND nobody has rewritten that history
    assert verify_chain() == (len(timeline) + 1, None)  # + the template's own event
