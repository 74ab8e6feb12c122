"""Document arithmetic and wording without the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.billing.calculations import (
    amount_in_words_en,
    amount_in_words_uk,
    apply_deduction,
    due_date,
    part_of_line,
    plural_uk,
    split_by_shares,
)
from orderdesk.orders.calculations import Amounts

D = Decimal


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.50", "Нуль гривень 50 копійок"),
        ("1", "Одна гривня 00 копійок"),
        ("2", "Дві гривні 00 копійок"),
        ("5", "П'ять гривень 00 копійок"),
        ("11", "Одинадцять гривень 00 копійок"),
        ("21", "Двадцять одна гривня 00 копійок"),
        ("22.01", "Двадцять дві гривні 01 копійка"),
        ("112.12", "Сто дванадцять гривень 12 копійок"),
        ("1200.50", "Одна тисяча двісті гривень 50 копійок"),
        ("1000000", "Один мільйон гривень 00 копійок"),
        ("2001.02", "Дві тисячі одна гривня 02 копійки"),
    ],
)
def test_amount_in_words_ukrainian_hryvnias(amount, words):
    assert amount_in_words_uk(D(amount), "UAH") == words


def test_amount_in_words_other_currencies_and_english():
    assert amount_in_words_uk(D("1"), "USD") == "Один долар США 00 центів"
    assert amount_in_words_uk(D("3.21"), "EUR") == "Три євро 21 цент"
    assert (
        amount_in_words_en(D("1200.50"), "UAH") == "One thousand two hundred hryvnias 50 kopiykas"
    )
    assert amount_in_words_en(D("1"), "USD") == "One US dollar 00 cents"


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (1, "a"),
        (2, "b"),
        (4, "b"),
        (5, "c"),
        (11, "c"),
        (12, "c"),
        (21, "a"),
        (22, "b"),
        (111, "c"),
        (0, "c"),
    ],
)
def test_plural_forms(n, form):
    assert plural_uk(n, ("a", "b", "c")) == form


def test_split_by_shares_adds_up_exactly():
    assert split_by_shares(D("1000.01"), [D("50"), D("50")], "UAH") == [D("500.01"), D("500.00")]
    parts = split_by_shares(D("100.00"), [D("33.33"), D("33.33"), D("33.34")], "UAH")
    assert sum(parts) == D("100.00")


def test_due_dates_follow_the_trigger():
    issue, shipped = dt.date(2026, 3, 1), dt.date(2026, 3, 10)
    assert due_date("on_order", 3, issue_date=issue) == dt.date(2026, 3, 4)
    assert due_date("after_invoice", 30, issue_date=issue) == dt.date(2026, 3, 31)
    assert due_date("after_shipment", 14, issue_date=issue, shipped_on=shipped) == dt.date(
        2026, 3, 24
    )
    assert due_date("after_shipment", 14, issue_date=issue) == dt.date(2026, 3, 15)
    assert due_date(
        "before_shipment", 5, issue_date=issue, planned_shipment=dt.date(2026, 3, 20)
    ) == dt.date(2026, 3, 15)
    assert (
        due_date("before_shipment", 5, issue_date=issue, planned_shipment=dt.date(2026, 3, 3))
        == issue
    )


def test_deduction_takes_prepaid_parts_first_then_the_last_ones():
    assert apply_deduction([D(50), D(50)], [True, False], D(50)) == [D(0), D(50)]
    assert apply_deduction([D(50), D(50)], [True, False], D(60)) == [D(0), D(40)]
    assert apply_deduction([D(50), D(50)], [True, False], D(20)) == [D(30), D(50)]


def test_the_part_completing_a_line_takes_what_is_left():
    total = Amounts(D("100.00"), D("20.00"), D("120.00"))
    first = part_of_line(
        quantity=D(1),
        line_quantity=D(3),
        line_amounts_total=total,
        done_quantity=D(0),
        done_amounts=Amounts(D(0), D(0), D(0)),
        unit_price=D("33.3333"),
        discount_percent=D(0),
        vat_rate=D(20),
        currency="UAH",
    )
    assert first == Amounts(D("33.33"), D("6.67"), D("40.00"))
    last = part_of_line(
        quantity=D(2),
        line_quantity=D(3),
        line_amounts_total=total,
        done_quantity=D(1),
        done_amounts=first,
        unit_price=D("33.3333"),
        discount_percent=D(0),
        vat_rate=D(20),
        currency="UAH",
    )
    assert first + last == total
