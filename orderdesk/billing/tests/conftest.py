"""Billing test set-up: role users, a confirmed order on given payment terms, helpers."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.billing.models import (
    CashReceipt,
    CreditNote,
    DeliveryNote,
    Invoice,
    InvoiceInstalment,
    Payment,
)
from orderdesk.core.errors import DomainError
from orderdesk.core.models import NumberSeries
from orderdesk.customers.models import PaymentTerms
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.receivables.models import Allocation, OpenItem
from orderdesk.testing.factories import (
    CompanyProfileFactory,
    ContractFactory,
    CustomerFactory,
    UserFactory,
)


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", roles=["accountant"])


@pytest.fixture
def controller(db):
    return UserFactory(username="controller", roles=["credit_controller"])


@pytest.fixture
def storekeeper(db):
    return UserFactory(username="storekeeper", roles=["warehouse"])


@pytest.fixture
def company(db):
    return CompanyProfileFactory()


def make_order(
    manager, customer, product, *, terms="half50", quantities=(10,), currency=None, auto=True
):
    """A confirmed order of `product` (100.00 + 20 % VAT a unit) on `terms`; with
    `auto=False` its contract's policy leaves the prepayment invoice to be made by hand."""
    contract = customer.contracts.filter(
        payment_terms__code=terms, currency_id=currency or "UAH"
    ).first()
    if contract is None:
        contract = ContractFactory(
            customer=customer,
            payment_terms=PaymentTerms.objects.get(code=terms),
            price_list=product_price_list(product),
            is_default=not customer.contracts.exists(),
            **({"currency_id": currency} if currency else {}),
        )
    if not auto:
        from orderdesk.billing.models import BillingPolicy

        BillingPolicy.objects.update_or_create(
            contract=contract, defaults={"prepayment_invoice_on_confirm": False}
        )
    order = order_create(
        by=manager,
        customer=customer,
        contract=contract,
        lines=[LineInput(product=product, quantity=Decimal(q)) for q in quantities],
    )
    return order_confirm(by=manager, order=order)


def product_price_list(product):
    from orderdesk.pricing.models import PriceListItem

    return PriceListItem.objects.filter(product=product).first().price_list


@pytest.fixture
def half50_order(manager, customer, product, warehouse):
    return make_order(manager, customer, product, terms="half50")


@pytest.fixture
def half50_manual_order(manager, customer, product, warehouse):
    """Prepayment terms under a policy that leaves the prepayment invoice to a person."""
    return make_order(manager, customer, product, terms="half50", auto=False)


@pytest.fixture
def net14_order(manager, customer, product, warehouse):
    return make_order(manager, customer, product, terms="net14")


@pytest.fixture
def other_customer(db, other_manager):
    return CustomerFactory(short_name="Бета", legal_name="ТОВ «Бета»", manager=other_manager)


def lines_of(order: Order, share: Decimal = Decimal(1)):
    return [(line, line.quantity * share) for line in OrderLine.objects.filter(order=order)]


TABLES = (
    Invoice,
    InvoiceInstalment,
    DeliveryNote,
    CreditNote,
    CashReceipt,
    Payment,
    OpenItem,
    Allocation,
    Event,
    NumberSeries,
)


def state_of_db() -> dict:
    """Everything a refused billing call must leave as it was."""
    state = {}
    for model in TABLES:
        state[model.__name__] = sorted(map(str, model.objects.values_list()))
    state["orders"] = sorted(
        map(str, Order.objects.values_list("pk", "payment_status", "fulfillment_status"))
    )
    state["lines"] = sorted(map(str, OrderLine.objects.values_list("pk", "shipped_quantity")))
    return state


@contextmanager
def refused(code: str):
    """The block must raise a DomainError with `code` and change nothing in the database."""
    before = state_of_db()
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, f"{info.value.code}: {info.value.detail}"
    assert state_of_db() == before
