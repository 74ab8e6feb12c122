"""Ledger arithmetic without the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orderdesk.receivables.calculations import (
    Candidate,
    allocation_plan,
    convert,
    coverable,
    exchange_difference,
    open_as_of,
)

D = Decimal


def test_conversion_and_what_a_credit_can_cover():
    assert convert(D("100.00"), from_rate=D("41.5"), to_rate=D("1"), currency="UAH") == D("4150.00")
    # 100 UAH of credit covers at most 2.40 USD at 41.5 (rounded down), and back it fits
    most = coverable(D("100.00"), credit_rate=D("1"), debit_rate=D("41.5"), debit_currency="USD")
    assert most == D("2.40")
    assert convert(most, from_rate=D("41.5"), to_rate=D("1"), currency="UAH") <= D("100.00")


def test_exchange_difference_is_a_gain_when_the_rate_rose():
    assert exchange_difference(
        debit_amount=D("100"),
        debit_rate=D("41"),
        credit_amount=D("100"),
        credit_rate=D("42"),
        base_currency="UAH",
    ) == D("100.00")


def test_plan_spends_oldest_first():
    plan = allocation_plan(
        D("150"), [Candidate(1, D("100")), Candidate(2, D("100")), Candidate(3, D("5"))]
    )
    assert plan == [(1, D("100")), (2, D("50"))]


def test_open_as_of_replays_allocations_in_force_that_day():
    day = dt.date(2026, 1, 10)
    rows = [
        (dt.date(2026, 1, 5), D("30"), None),
        (dt.date(2026, 1, 12), D("20"), None),  # later: not yet
        (dt.date(2026, 1, 6), D("10"), dt.date(2026, 1, 8)),  # undone before the day
        (dt.date(2026, 1, 7), D("5"), dt.date(2026, 1, 11)),  # undone after the day: counts
    ]
    assert open_as_of(D("100"), rows, day) == D("65")
