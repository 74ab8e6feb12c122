"""Bugs the stateful lifecycle test (test_lifecycle_stateful.py) ran into, each as its smallest
case and marked xfail(strict=True) until it is fixed. Each asserts the documented behaviour:
"the order closes itself when it has shipped (or the rest was cancelled) and is paid".

When a fix makes one of these pass, remove its xfail mark and let the state machine's model
expect the fixed behaviour (the places are named in each reason).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import TestCase

from orderdesk.billing.services import payment_create
from orderdesk.fulfillment.services import line_cancel, shipment_create, stock_receive
from orderdesk.orders.models import Order
from orderdesk.orders.services import LineInput, order_amend, order_confirm, order_create
from orderdesk.receivables.models import OpenItem
from orderdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def after_commit(fn):
    """Run a service call and the reactions it queues for after the commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn()


@pytest.fixture
def storekeeper(db):
    return UserFactory(username="storekeeper", roles=["warehouse"])


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", roles=["accountant"])


@pytest.fixture
def half_shipped(manager, customer, contract, product, warehouse, storekeeper):
    """A confirmed order of 10 of which 4 have shipped (and are invoiced: one invoice per
    shipment, posted at once)."""
    stock_receive(by=storekeeper, product=product, warehouse=warehouse, quantity=Decimal(50))
    order = order_create(
        by=manager, customer=customer, lines=[LineInput(product=product, quantity=Decimal(10))]
    )
    after_commit(lambda: order_confirm(by=manager, order=order.pk))
    line = order.lines.get()
    after_commit(
        lambda: shipment_create(by=storekeeper, order=order.pk, lines=[(line.pk, Decimal(4))])
    )
    return Order.objects.get(pk=order.pk)


def pay_everything_open(accountant, order) -> None:
    due = OpenItem.objects.filter(order_id=order.pk, side="debit").aggregate(
        total=Sum("open_amount")
    )["total"]
    after_commit(
        lambda: payment_create(
            by=accountant, customer=order.customer, amount=due, currency="UAH", order=order.pk
        )
    )


def test_amending_down_to_what_shipped_then_paying_closes_the_order(
    half_shipped, manager, accountant
):
    order = half_shipped
    line = order.lines.get()
    after_commit(
        lambda: order_amend(
            by=manager,
            order=order.pk,
            reason="the rest is not needed",
            update={line.pk: {"quantity": Decimal(4)}},
        )
    )
    pay_everything_open(accountant, order)

    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert order.fulfillment_status == "shipped"
    assert order.status == "closed"


def test_cancelling_the_rest_after_paying_the_shipped_part_closes_the_order(
    half_shipped, manager, accountant
):
    order = half_shipped
    pay_everything_open(accountant, order)
    line = order.lines.get()
    after_commit(
        lambda: line_cancel(by=manager, order=order.pk, line=line.pk, reason="out_of_stock")
    )

    order.refresh_from_db()
    assert order.fulfillment_status == "shipped"
    assert order.payment_status == "paid"
    assert order.status == "closed"
