"""Fulfillment test set-up: role users, stock, confirmed orders with dated schedules."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import timezone

from orderdesk.audit.models import Event
from orderdesk.billing.models import CreditNote, DeliveryNote, Invoice
from orderdesk.catalog.models import StockBalance
from orderdesk.core.errors import DomainError
from orderdesk.customers.models import PaymentTerms
from orderdesk.fulfillment.models import (
    LineCancellation,
    Release,
    ReleaseLine,
    Reservation,
    Shipment,
    ShipmentLine,
    StockMove,
)
from orderdesk.fulfillment.services import stock_receive
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.pricing.models import PriceListItem
from orderdesk.testing.factories import (
    CompanyProfileFactory,
    ContractFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def storekeeper(db):
    return UserFactory(username="storekeeper", roles=["warehouse"])


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", roles=["accountant"])


@pytest.fixture
def company(db):
    return CompanyProfileFactory()


@pytest.fixture
def second_product(db, warehouse, price_list):
    product = ProductFactory(sku="SCREW-50", name="Шурупи 50 мм", cost_price=Decimal("5"))
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("10"))
    return product


def receive(by, product, warehouse, quantity) -> None:
    stock_receive(by=by, product=product, warehouse=warehouse, quantity=Decimal(quantity))


def balance(product, warehouse) -> StockBalance:
    return StockBalance.objects.get(product=product, warehouse=warehouse)


def contract_for(customer, product, terms: str):
    contract = customer.contracts.filter(payment_terms__code=terms).first()
    if contract is None:
        contract = ContractFactory(
            customer=customer,
            payment_terms=PaymentTerms.objects.get(code=terms),
            price_list=PriceListItem.objects.filter(product=product).first().price_list,
            is_default=not customer.contracts.exists(),
        )
    return contract


def make_order(manager, customer, lines, *, terms="net14", confirm=True, requested=None) -> Order:
    """An order of `lines` = [(product, qty, schedule [(date, qty)] or None)]."""
    product = lines[0][0]
    order = order_create(
        by=manager,
        customer=customer,
        contract=contract_for(customer, product, terms),
        lines=[
            LineInput(product=p, quantity=Decimal(q), schedule=[(d, Decimal(x)) for d, x in s])
            if s
            else LineInput(product=p, quantity=Decimal(q))
            for p, q, s in lines
        ],
        **({"requested_delivery_date": requested} if requested else {}),
    )
    if confirm:  # the release runs after the confirmation commits
        with TestCase.captureOnCommitCallbacks(execute=True):
            order = order_confirm(by=manager, order=order)
    return Order.objects.get(pk=order.pk)


def lines_of(order) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order=order).order_by("position"))


TABLES = (
    StockMove,
    Reservation,
    Release,
    ReleaseLine,
    Shipment,
    ShipmentLine,
    LineCancellation,
    Invoice,
    DeliveryNote,
    CreditNote,
    Event,
)


def state_of_db() -> dict:
    state = {m.__name__: sorted(map(str, m.objects.values_list())) for m in TABLES}
    state["balances"] = sorted(
        map(str, StockBalance.objects.values_list("pk", "on_hand", "reserved"))
    )
    state["orders"] = sorted(
        map(str, Order.objects.values_list("pk", "status", "fulfillment_status", "payment_status"))
    )
    state["lines"] = sorted(
        map(str, OrderLine.objects.values_list("pk", "shipped_quantity", "cancelled_quantity"))
    )
    return state


@contextmanager
def refused(code: str):
    """The block raises a DomainError with `code` and changes nothing."""
    before = state_of_db()
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, f"{info.value.code}: {info.value.detail}"
    assert state_of_db() == before
