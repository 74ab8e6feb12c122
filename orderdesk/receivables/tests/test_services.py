"""Ledger services: posting, allocating within both sides, storno, replay as of a date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.core.errors import DomainError
from orderdesk.receivables import services
from orderdesk.receivables.models import Allocation, ItemKind, OpenItem, Side
from orderdesk.receivables.selectors import balances, open_amount_as_of, statement
from orderdesk.testing.factories import CustomerFactory

D = Decimal
DAY = dt.date(2026, 3, 2)


def post(customer, side, amount, *, day=DAY, number="X"):
    kind = ItemKind.INVOICE if side == Side.DEBIT else ItemKind.PAYMENT
    return services.item_post(
        customer=customer,
        currency="UAH",
        side=side,
        kind=kind,
        doc_type=kind,
        doc_id=1,
        doc_number=number,
        posting_date=day,
        amount=D(amount),
        rate=D(1),
        due_date=day if side == Side.DEBIT else None,
    )


@pytest.fixture
def customer(db):
    return CustomerFactory()


def refused(code, fn, *args, **kwargs):
    before = (list(OpenItem.objects.values_list("pk", "open_amount")), Allocation.objects.count())
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code
    assert before == (
        list(OpenItem.objects.values_list("pk", "open_amount")),
        Allocation.objects.count(),
    )


def test_post_refuses_bad_amounts(customer):
    for amount, code in (
        ("0", "amount_not_positive"),
        ("-1", "amount_not_positive"),
        ("1.005", "number_precision"),
    ):
        refused(code, post, customer, Side.DEBIT, amount)


def test_allocation_stays_within_both_sides(customer):
    debit = post(customer, Side.DEBIT, "100")
    credit = post(customer, Side.CREDIT, "60")
    refused(
        "allocation_exceeds_credit",
        services.allocate,
        by=None,
        debit=debit,
        credit=credit,
        amount=D("70"),
        on=DAY,
    )
    refused(
        "allocation_exceeds_open",
        services.allocate,
        by=None,
        debit=debit,
        credit=credit,
        amount=D("100.01"),
        on=DAY,
    )
    refused(
        "allocation_date_before_posting",
        services.allocate,
        by=None,
        debit=debit,
        credit=credit,
        amount=D("10"),
        on=DAY - dt.timedelta(days=1),
    )
    other = post(CustomerFactory(), Side.CREDIT, "50")
    refused(
        "allocation_other_customer",
        services.allocate,
        by=None,
        debit=debit,
        credit=other,
        amount=D("10"),
        on=DAY,
    )
    services.allocate(by=None, debit=debit, credit=credit, amount=D("60"), on=DAY)
    debit.refresh_from_db()
    assert debit.open_amount == D("40")
    assert balances(customer) == [
        {"currency": "UAH", "owed": D("40"), "credit": D("0"), "balance": D("40")}
    ]


def test_storno_undoes_allocations_and_mirrors_the_item(customer):
    debit = post(customer, Side.DEBIT, "100")
    credit = post(customer, Side.CREDIT, "100")
    services.settle(by=None, debits=[debit], credits=[credit], on=DAY)
    later = DAY + dt.timedelta(days=5)
    mirror, undone = services.item_reverse(
        by=None, item=debit, on=later, doc_type="credit_note", doc_id=9, doc_number="КН-1"
    )
    assert len(undone) == 1 and mirror.side == Side.CREDIT and mirror.open_amount == D("0")
    credit.refresh_from_db()
    assert credit.open_amount == D("100")
    # the past stays as it was
    assert open_amount_as_of(debit, DAY) == D("0")
    assert open_amount_as_of(credit, DAY) == D("0")
    assert open_amount_as_of(credit, later) == D("100")
    refused(
        "item_reversed",
        services.item_reverse,
        by=None,
        item=debit,
        on=later,
        doc_type="credit_note",
        doc_id=9,
        doc_number="КН-1",
    )


def test_statement_has_opening_movements_and_closing(customer):
    post(customer, Side.DEBIT, "100", day=DAY - dt.timedelta(days=10), number="A")
    post(customer, Side.DEBIT, "50", number="B")
    post(customer, Side.CREDIT, "30", number="C")
    st = statement(customer=customer, currency="UAH", date_from=DAY, date_to=DAY)
    assert st.opening == D("100")
    assert [(r.doc_number, r.debit, r.credit, r.balance) for r in st.rows] == [
        ("B", D("50"), D("0"), D("150")),
        ("C", D("0"), D("30"), D("120")),
    ]
    assert st.closing == D("120")
