"""Order arithmetic: pure Decimal, no database.

Rounding happens at line totals (net, then VAT on the rounded net) and nowhere else; the
header is the exact sum of its lines, and base-currency totals are the header converted
at the order's rate and rounded once each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from orderdesk.core.money import HUNDRED, ZERO, quantize

PRICE_EXP = Decimal("0.0001")


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    vat: Decimal
    gross: Decimal

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.net + other.net, self.vat + other.vat, self.gross + other.gross)


NO_AMOUNTS = Amounts(ZERO, ZERO, ZERO)


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    vat_rate: Decimal,
    currency: str,
) -> Amounts:
    """Net = qty x price x (1 - discount), rounded; VAT = net x rate, rounded; gross = sum."""
    net = quantize(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED, currency)
    vat = quantize(net * vat_rate / HUNDRED, currency)
    return Amounts(net, vat, net + vat)


def order_totals(lines: Iterable[Amounts]) -> Amounts:
    total = NO_AMOUNTS
    for amounts in lines:
        total = total + amounts
    return total


def to_base(totals: Amounts, *, rate: Decimal, base_currency: str) -> Amounts:
    net = quantize(totals.net * rate, base_currency)
    vat = quantize(totals.vat * rate, base_currency)
    return Amounts(net, vat, net + vat)


def convert_price(price: Decimal, *, from_rate: Decimal, to_rate: Decimal) -> Decimal:
    """A price in one currency expressed in another through their base-currency rates."""
    return (price * from_rate / to_rate).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)


def net_price(price: Decimal, *, vat_rate: Decimal, includes_vat: bool) -> Decimal:
    if not includes_vat:
        return price
    return (price * HUNDRED / (HUNDRED + vat_rate)).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)


def decimal_fits(value: Decimal, *, max_digits: int, places: int) -> bool:
    """Whether `value` can be stored in a DECIMAL(max_digits, places) without rounding.

    By value, not by notation: "1.2000" fits three places, "0" fits DECIMAL(1, 1)."""
    context = Context(prec=max_digits, traps=[InvalidOperation])
    try:
        stored = value.quantize(Decimal(1).scaleb(-places), context=context)
    except InvalidOperation:  # more digits than the column holds, or not finite
        return False
    return stored == value


def schedule_excess(quantity: Decimal, scheduled: Iterable[Decimal]) -> Decimal:
    """How much a delivery schedule exceeds the line quantity (zero when it fits)."""
    return max(ZERO, sum(scheduled, ZERO) - quantity)
