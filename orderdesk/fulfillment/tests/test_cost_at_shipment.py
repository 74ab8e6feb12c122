"""Cost at shipment: each shipment line keeps the product's cost on the shipment date (base
currency), the order line adds it up, and profitability reads that — not the cost at entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.catalog.services import product_update
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.models import Currency
from orderdesk.core.services import exchange_rate_set
from orderdesk.fulfillment.models import ShipmentLine
from orderdesk.fulfillment.services import shipment_create
from orderdesk.orders.models import OrderLine
from orderdesk.orders.services import LineInput, order_create
from orderdesk.reports.selectors import profitability
from orderdesk.testing.factories import PriceListItemFactory, ProductFactory

from .conftest import contract_for, lines_of, make_order, receive, today

D = Decimal


@pytest.fixture
def stocked(storekeeper, product, warehouse):
    receive(storekeeper, product, warehouse, 20)
    return product


def profit_row(user, order) -> dict:
    report = profitability.REPORT
    params = report.parse({"group_by": "order", "order": str(order.pk)})
    (row,) = report.rows(user, params)
    return row


def test_each_shipment_keeps_the_cost_on_its_date(
    admin_user, manager, customer, stocked, storekeeper
):
    assert stocked.cost_price == D("60")
    order = make_order(manager, customer, [(stocked, 10, None)])
    line = lines_of(order)[0]
    assert line.cost_price == D("60")  # the cost at entry

    first = shipment_create(by=storekeeper, order=order, lines=[(line, 4)])
    product_update(by=admin_user, product=stocked, cost_price=D("66.5"))
    second = shipment_create(by=storekeeper, order=order, lines=[(line, 6)])

    assert ShipmentLine.objects.get(shipment=first).unit_cost == D("60")
    assert ShipmentLine.objects.get(shipment=second).unit_cost == D("66.5")
    line.refresh_from_db()
    assert line.cost_price == D("60")  # unchanged: the cost at entry
    assert line.shipped_cost == 4 * D("60") + 6 * D("66.5")  # 639
    # the history says at what cost each shipment left
    shipped = Event.objects.filter(action="orders.line.shipped", object_id=str(line.pk))
    assert sorted(D(e.data["unit_cost"]) for e in shipped) == [D("60"), D("66.5")]

    row = profit_row(admin_user, order)
    assert row["cost"] == D("639.00")
    assert row["margin"] == row["revenue"] - D("639.00")

    invoiced = profitability.REPORT.rows(
        admin_user,
        profitability.REPORT.parse(
            {"group_by": "order", "order": str(order.pk), "basis": "invoiced"}
        ),
    )
    if invoiced:  # shipment invoices, when the billing policy makes them
        assert invoiced[0]["cost"] == D("639.00")


def test_a_cost_in_another_currency_is_converted_at_entry_and_at_shipment(
    admin_user, manager, customer, warehouse, price_list, storekeeper
):
    usd = Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})[0]
    exchange_rate_set(currency="USD", date=today() - dt.timedelta(days=3), rate=D("40"))
    product = ProductFactory(sku="IMP-1", cost_price=D("2.5"), cost_currency=usd)
    PriceListItemFactory(price_list=price_list, product=product, price=D("150"))
    receive(storekeeper, product, warehouse, 10)
    order = make_order(manager, customer, [(product, 5, None)])
    line = lines_of(order)[0]
    assert line.cost_price == D("100")  # 2.5 USD x 40

    exchange_rate_set(currency="USD", date=today(), rate=D("42"))
    shipment_create(by=storekeeper, order=order, lines=[(line, 5)])
    line.refresh_from_db()
    assert line.shipped_cost == 5 * D("105")  # 2.5 USD x 42 on the shipment date
    assert profit_row(admin_user, order)["cost"] == D("525.00")


def test_no_rate_for_the_cost_currency_refuses_the_line(manager, customer, warehouse, price_list):
    eur = Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro"})[0]
    product = ProductFactory(sku="IMP-2", cost_price=D("3"), cost_currency=eur)
    PriceListItemFactory(price_list=price_list, product=product, price=D("150"))
    before = OrderLine.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        order_create(
            by=manager,
            customer=customer,
            contract=contract_for(customer, product, "net14"),
            lines=[LineInput(product=product, quantity=D(1))],
        )
    assert caught.value.code == "exchange_rate_missing"
    assert "lines[0].product" in caught.value.fields
    assert OrderLine.objects.count() == before
