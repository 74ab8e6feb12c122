"""The stored per-customer balance: every ledger service keeps it equal to the items, in
exact Decimal arithmetic; `orderdesk reconcile` catches a balance that is not."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from orderdesk.core import invariants as registry
from orderdesk.core.errors import DomainError
from orderdesk.receivables import services
from orderdesk.receivables.models import CustomerBalance, ItemKind, OpenItem, Side
from orderdesk.testing.factories import CustomerFactory, ExchangeRateFactory

D = Decimal
DAY = dt.date(2026, 3, 2)
INVARIANT = "receivables.balance_equals_items"


def post(customer, side, amount, *, currency="UAH", rate="1", day=DAY, number="X"):
    kind = ItemKind.INVOICE if side == Side.DEBIT else ItemKind.PAYMENT
    return services.item_post(
        customer=customer,
        currency=currency,
        side=side,
        kind=kind,
        doc_type=kind,
        doc_id=1,
        doc_number=number,
        posting_date=day,
        amount=D(amount),
        rate=D(rate),
        due_date=day if side == Side.DEBIT else None,
    )


def stored(customer) -> tuple[Decimal, Decimal]:
    row = CustomerBalance.objects.filter(customer=customer).first()
    return (row.open_debit, row.open_credit) if row else (D(0), D(0))


def agrees(customer) -> tuple[Decimal, Decimal]:
    """The stored balance equals the items (summed in Python); returns it."""
    expected = services.open_totals([customer.pk]).get(customer.pk, (D(0), D(0)))
    assert stored(customer) == expected
    assert registry.run([INVARIANT]) == []
    return expected


@pytest.fixture
def customer(db):
    return CustomerFactory()


def test_posting_adds_the_base_amount_to_its_side(customer):
    post(customer, Side.DEBIT, "100.10")
    post(customer, Side.DEBIT, "0.20")
    post(customer, Side.CREDIT, "0.30")
    assert agrees(customer) == (D("100.30"), D("0.30"))
    assert CustomerBalance.objects.get(customer=customer).net == D("100.00")


def test_allocation_and_settle_take_both_sides_down_exactly(customer):
    # 0.53 - 0.47 in floating point is 0.0600000000000001: the row must hold 0.06
    debit = post(customer, Side.DEBIT, "0.53")
    credit = post(customer, Side.CREDIT, "0.47")
    services.allocate(by=None, debit=debit, credit=credit, amount=D("0.47"), on=DAY)
    assert agrees(customer) == (D("0.06"), D("0"))
    other = post(customer, Side.DEBIT, "10.01")
    pay = post(customer, Side.CREDIT, "5.03")
    services.settle(by=None, debits=[debit, other], credits=[pay], on=DAY)
    assert agrees(customer) == (D("5.04"), D("0"))


def test_refused_allocation_leaves_the_balance(customer):
    debit = post(customer, Side.DEBIT, "100")
    credit = post(customer, Side.CREDIT, "60")
    before = stored(customer)
    with pytest.raises(DomainError) as info:
        services.allocate(by=None, debit=debit, credit=credit, amount=D("70"), on=DAY)
    assert info.value.code == "allocation_exceeds_credit"
    assert stored(customer) == before == (D("100"), D("60"))


def test_cancelling_an_allocation_puts_both_sides_back(customer):
    debit = post(customer, Side.DEBIT, "100")
    credit = post(customer, Side.CREDIT, "60")
    allocation = services.allocate(by=None, debit=debit, credit=credit, amount=D("60"), on=DAY)
    assert agrees(customer) == (D("40"), D("0"))
    services.allocation_reverse(by=None, allocation=allocation, on=DAY)
    assert agrees(customer) == (D("100"), D("60"))


def test_storno_of_a_paid_invoice_reopens_the_payment(customer):
    debit = post(customer, Side.DEBIT, "100")
    credit = post(customer, Side.CREDIT, "100")
    services.settle(by=None, debits=[debit], credits=[credit], on=DAY)
    assert agrees(customer) == (D("0"), D("0"))
    services.item_reverse(
        by=None, item=debit, on=DAY, doc_type="credit_note", doc_id=9, doc_number="КН-1"
    )
    # the invoice is settled by its mirror; the payment is open again
    assert agrees(customer) == (D("0"), D("100"))


def test_storno_of_an_open_payment(customer):
    post(customer, Side.DEBIT, "30")
    payment = post(customer, Side.CREDIT, "70")
    services.item_reverse(by=None, item=payment, on=DAY, doc_type="payment", doc_id=2,
                          doc_number="R-1")  # fmt: skip
    assert agrees(customer) == (D("30"), D("0"))


def test_foreign_currency_items_count_at_their_posting_rate(customer):
    """An invoice in USD posted at 41.123456, paid in UAH at the day's 41.5: each side leaves
    the balance at its own posting rate, so the net moves by the exchange difference (each
    item rounded on its own: give or take a cent)."""
    ExchangeRateFactory(currency_id="USD", date=DAY, rate=D("41.5"))
    debit = post(customer, Side.DEBIT, "100.01", currency="USD", rate="41.123456")
    assert agrees(customer) == (D("4112.76"), D("0"))  # 100.01 × 41.123456 = 4112.7768...
    credit = post(customer, Side.CREDIT, "2000", currency="UAH")
    allocation = services.allocate(by=None, debit=debit, credit=credit, amount=D("33.33"), on=DAY)
    assert allocation.credit_amount == D("1383.20")  # 33.33 USD at 41.5
    assert allocation.exchange_difference == D("12.56")  # 1383.20 - 1370.64
    debit_open, credit_open = agrees(customer)
    # 66.68 USD × 41.123456 = 2742.1120..., 2000 - 1383.20 = 616.80
    assert (debit_open, credit_open) == (D("2742.11"), D("616.80"))
    net_before, net_after = D("4112.76") - D("2000"), debit_open - credit_open
    assert abs(net_after - net_before - allocation.exchange_difference) <= D("0.01")
    services.allocation_reverse(by=None, allocation=allocation, on=DAY)
    assert agrees(customer) == (D("4112.76"), D("2000"))


def test_settle_across_currencies_keeps_the_balance(customer):
    ExchangeRateFactory(currency_id="USD", date=DAY, rate=D("41.5"))
    ExchangeRateFactory(currency_id="EUR", date=DAY, rate=D("44.987654"))
    debits = [
        post(customer, Side.DEBIT, "19.99", currency="USD", rate="40.1"),
        post(customer, Side.DEBIT, "0.07", currency="USD", rate="41.777777"),
    ]
    credits = [post(customer, Side.CREDIT, "12.34", currency="EUR", rate="44.5")]
    services.settle(by=None, debits=debits, credits=credits, on=DAY)
    agrees(customer)


def test_the_invariant_catches_a_tampered_or_missing_balance(customer):
    post(customer, Side.DEBIT, "100")
    other = CustomerFactory()
    post(other, Side.CREDIT, "5")
    assert registry.run([INVARIANT]) == []
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE receivables_customerbalance SET open_debit = 99.99 WHERE customer_id = %s",
            [customer.pk],
        )
        cur.execute("DELETE FROM receivables_customerbalance WHERE customer_id = %s", [other.pk])
    found = registry.run([INVARIANT])
    assert [v.invariant for v in found] == [INVARIANT, INVARIANT]
    text = " ".join(v.detail for v in found)
    assert f"customer_id={customer.pk}," in text and "stored_debit=99.99" in text
    assert f"customer_id={other.pk}," in text and "items_credit=5" in text
    # the repair sets them to what the items add up to
    assert services.balances_rebuild() == 2
    assert registry.run([INVARIANT]) == []
    assert stored(customer) == (D("100"), D("0")) and stored(other) == (D("0"), D("5"))


def test_the_data_migration_fills_balances_of_existing_items(customer):
    ExchangeRateFactory(currency_id="USD", date=DAY, rate=D("41.5"))
    debit = post(customer, Side.DEBIT, "100.01", currency="USD", rate="41.123456")
    credit = post(customer, Side.CREDIT, "500")
    services.allocate(by=None, debit=debit, credit=credit, amount=D("10"), on=DAY)
    other = CustomerFactory()
    post(other, Side.DEBIT, "7")
    expected = {c.pk: stored(c) for c in (customer, other)}
    CustomerBalance.objects.all().delete()
    migration = importlib.import_module(
        "orderdesk.receivables.migrations.0003_fill_customer_balances"
    )
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert {c.pk: stored(c) for c in (customer, other)} == expected
    assert registry.run([INVARIANT]) == []


def test_items_loaded_behind_the_services_back_are_rebuilt(customer):
    OpenItem.objects.create(
        customer=customer, currency_id="UAH", side=Side.DEBIT, kind=ItemKind.INVOICE,
        doc_type="invoice", doc_id=1, doc_number="B-1", posting_date=DAY, due_date=DAY,
        amount=D("12.34"), open_amount=D("12.34"), rate=D("1"), base_amount=D("12.34"),
    )  # fmt: skip
    assert [v.invariant for v in registry.run([INVARIANT])] == [INVARIANT]
    assert services.balances_rebuild(customer_ids=[customer.pk]) == 1
    assert agrees(customer) == (D("12.34"), D("0"))
