"""Aging as of a past date is a replay of the ledger and does not move when later payments
arrive; buckets are configurable; amounts in base currency or per currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from orderdesk.billing.services import payment_create
from orderdesk.core.errors import ValidationFailed
from orderdesk.receivables import services as ledger
from orderdesk.receivables.models import ItemKind, OpenItem, Side
from orderdesk.receivables.selectors import items_as_of
from orderdesk.reports.selectors import report_for
from orderdesk.testing.factories import CustomerFactory, UserFactory

AGING = report_for("aging")


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def post(customer, side, amount, posted, due=None, currency="UAH", rate="1", number="X"):
    kind = ItemKind.INVOICE if side == Side.DEBIT else ItemKind.PAYMENT
    return ledger.item_post(
        customer=customer,
        currency=currency,
        side=side,
        kind=kind,
        doc_type="invoice" if side == Side.DEBIT else "payment",
        doc_id=OpenItem.objects.count() + 1,
        doc_number=number,
        posting_date=posted,
        due_date=due,
        amount=Decimal(amount),
        rate=Decimal(rate),
    )


@pytest.fixture
def book(db, manager):
    """A customer's ledger over the last ten weeks (see the test for the story)."""
    customer = CustomerFactory(short_name="Альфа", manager=manager)
    a = post(customer, Side.DEBIT, "1000.00", days_ago(70), days_ago(56), number="РФ-A")
    b = post(customer, Side.DEBIT, "500.00", days_ago(45), days_ago(31), number="РФ-B")
    eur = post(customer, Side.DEBIT, "100.00", days_ago(100), days_ago(95), "EUR", "45", "РФ-E")
    p1 = post(customer, Side.CREDIT, "300.00", days_ago(50), number="BANK-1")
    first = ledger.allocate(by=None, debit=a, credit=p1, amount=Decimal("300.00"), on=days_ago(50))
    p2 = post(customer, Side.CREDIT, "200.00", days_ago(20), number="BANK-2")
    ledger.allocate(by=None, debit=a, credit=p2, amount=Decimal("200.00"), on=days_ago(20))
    ledger.allocation_reverse(by=None, allocation=first, on=days_ago(10))
    c = post(customer, Side.DEBIT, "250.00", days_ago(5), days_ago(-9), number="РФ-C")
    return {"customer": customer, "a": a, "b": b, "c": c, "eur": eur}


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", roles=["accountant"])


def aging(user, **query):
    return AGING.rows(user, AGING.parse({k: str(v) for k, v in query.items()}))


def test_past_aging_is_the_ledger_replayed_and_later_payments_do_not_move_it(
    book, manager, accountant
):
    day = days_ago(40)

    # given: on that day invoice A (due 16 days before) had 700 open — 300 of the first
    # payment was allocated then and undone only later; B was not due yet; C not posted;
    # the EUR invoice was 55 days overdue, 100 x 45 in base currency
    [row] = aging(manager, as_of=day)
    assert row["customer_label"] == "Альфа"
    assert row["current"] == Decimal("500.00")
    assert row["d1_30"] == Decimal("700.00")
    assert row["d31_60"] == Decimal("4500.00")
    assert row["credit"] == Decimal("0.00")
    assert row["total"] == Decimal("5700.00") and row["overdue"] == Decimal("5200.00")

    # and it is what the ledger's own replay says, item by item
    replayed = items_as_of(day, OpenItem.objects.filter(customer=book["customer"]))
    owed = sum(i.open_as_of * i.rate for i in replayed if i.side == Side.DEBIT)
    assert row["total"] == owed.quantize(Decimal("0.01"))

    # when a payment arrives today and settles the three hryvnia invoices
    payment_create(
        by=accountant,
        customer=book["customer"],
        amount=Decimal("1550.00"),
        bank_reference="BANK-LATE",
        allocations=[
            (book["a"].pk, Decimal("800.00")),
            (book["b"].pk, Decimal("500.00")),
            (book["c"].pk, Decimal("250.00")),
        ],
    )
    assert OpenItem.objects.get(pk=book["a"].pk).open_amount == Decimal("0.00")

    # then the report for that day has not moved, while today's has
    assert aging(manager, as_of=day) == [row]
    [today] = aging(manager)
    assert today["d1_30"] == Decimal("0.00") and today["current"] == Decimal("0.00")
    assert today["over_90"] == Decimal("4500.00")  # the EUR invoice is still open


def test_today_reads_the_stored_open_amounts(book, manager):
    [row] = aging(manager)
    # A: 1000 - 200 (the first allocation was undone); B: 500; C: 250 (not due); EUR 4500
    assert row["d31_60"] == Decimal("800.00") + Decimal("500.00")
    assert row["current"] == Decimal("250.00")
    assert row["over_90"] == Decimal("4500.00")
    assert row["credit"] == Decimal("300.00")  # the undone payment is unapplied credit
    assert row["balance"] == row["total"] - Decimal("300.00")


def test_buckets_are_configurable(book, manager):
    [row] = aging(manager, as_of=days_ago(40), buckets="15,100")
    assert row["current"] == Decimal("500.00")
    assert row["d1_15"] == Decimal("0.00")
    assert row["d16_100"] == Decimal("700.00") + Decimal("4500.00")
    assert row["over_100"] == Decimal("0.00")
    columns = [c.key for c in AGING.columns(AGING.parse({"buckets": "15,100"}))]
    assert columns[:5] == ["customer", "current", "d1_15", "d16_100", "over_100"]


@pytest.mark.parametrize(
    ("buckets", "code"),
    [
        ("60,30,90", "buckets_out_of_order"),
        ("30,30", "buckets_out_of_order"),
        ("0,30", "buckets_invalid"),
        ("thirty", "buckets_invalid"),
    ],
)
def test_buckets_out_of_order_are_refused(db, buckets, code):
    with pytest.raises(ValidationFailed) as info:
        AGING.parse({"buckets": buckets})
    assert info.value.code == code


def test_grouped_by_currency_amounts_are_in_that_currency(book, manager):
    rows = {r["currency"]: r for r in aging(manager, as_of=days_ago(40), group_by="currency")}
    assert rows["EUR"]["d31_60"] == Decimal("100.00")
    assert rows["UAH"]["total"] == Decimal("1200.00")


def test_another_managers_customers_are_not_in_the_report(book, other_manager):
    assert aging(other_manager) == []


def test_drill_down_lists_the_documents_open_on_the_day(book, manager, client):
    client.force_login(manager)
    response = client.get(
        "/reports/aging/drill/",
        {"as_of": days_ago(40).isoformat(), "customer": book["customer"].pk},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "РФ-A" in body and "РФ-B" in body and "РФ-E" in body
    assert "РФ-C" not in body  # posted after the day
    assert "700" in body
