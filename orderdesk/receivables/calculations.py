"""Ledger arithmetic: pure Decimal, no database.

Conversions between two currencies go through their base-currency rates of the allocation
day. The debit side is what an allocation is measured in; the credit side's amount is the
debit amount converted and rounded half up, and the largest debit amount a credit can cover
is rounded down, so converting it back never exceeds what the credit has open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from orderdesk.core.money import ZERO, exponent, quantize


def convert(amount: Decimal, *, from_rate: Decimal, to_rate: Decimal, currency: str) -> Decimal:
    """`amount` in a currency worth `from_rate` base units, in one worth `to_rate`, rounded."""
    if from_rate == to_rate:
        return quantize(amount, currency)
    return quantize(amount * from_rate / to_rate, currency)


def coverable(
    credit_open: Decimal, *, credit_rate: Decimal, debit_rate: Decimal, debit_currency: str
) -> Decimal:
    """The most of a debit (in its currency) that `credit_open` can settle, rounded down."""
    if credit_rate == debit_rate:
        return credit_open
    return (credit_open * credit_rate / debit_rate).quantize(
        exponent(debit_currency), rounding=ROUND_DOWN
    )


def exchange_difference(
    *,
    debit_amount: Decimal,
    debit_rate: Decimal,
    credit_amount: Decimal,
    credit_rate: Decimal,
    base_currency: str,
) -> Decimal:
    """Base value received minus base value booked: a gain (+) or a loss (-)."""
    return quantize(credit_amount * credit_rate, base_currency) - quantize(
        debit_amount * debit_rate, base_currency
    )


def open_base(open_amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """An item's open value in base currency: its open amount at its posting rate, rounded
    half up per item (a fully open item: its `base_amount`). The customer's stored balance is
    the sum of these, so a change of one item moves it by the difference of two of them."""
    if open_amount <= ZERO:
        return ZERO
    return quantize(open_amount * rate, base_currency)


def balance_delta(before: Decimal, after: Decimal, *, rate: Decimal, base_currency: str) -> Decimal:
    """How much an item's change of open amount from `before` to `after` moves the balance."""
    return open_base(after, rate, base_currency) - open_base(before, rate, base_currency)


@dataclass(frozen=True)
class Candidate:
    """An open item the plan may use, with its open amount in the plan's currency."""

    key: int
    open_amount: Decimal


def allocation_plan(
    available: Decimal, candidates: Iterable[Candidate]
) -> list[tuple[int, Decimal]]:
    """Spend `available` on the candidates in the given order (oldest due first, say):
    each takes what it has open until nothing is left. Returns [(key, amount)]."""
    plan = []
    left = available
    for candidate in candidates:
        if left <= ZERO:
            break
        take = min(left, candidate.open_amount)
        if take > ZERO:
            plan.append((candidate.key, take))
            left -= take
    return plan


def open_as_of(
    amount: Decimal, allocations: Iterable[tuple[object, Decimal, object]], on
) -> Decimal:
    """An item's open amount on date `on`: its amount less the allocations (date, amount,
    reversed_on) that were in force that day."""
    settled = sum(
        (
            a
            for d, a, reversed_on in allocations
            if d <= on and (reversed_on is None or reversed_on > on)
        ),
        ZERO,
    )
    return amount - settled
