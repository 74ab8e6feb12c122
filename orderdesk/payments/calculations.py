"""Pure arithmetic of payment services and intermediaries (no Django, no database)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")

# ISO 4217 numeric codes monobank sends in `ccy`
NUMERIC_CURRENCIES = {980: "UAH", 840: "USD", 978: "EUR", 985: "PLN", 826: "GBP"}
CURRENCY_NUMBERS = {v: k for k, v in NUMERIC_CURRENCIES.items()}


def to_minor(amount: Decimal, digits: int = 2) -> int:
    """An amount in minor units (kopiykas, cents), as monobank and Stripe take it; the amount
    must already have no more digits than the currency has."""
    scaled = amount * (Decimal(10) ** digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {digits} decimal places")
    return int(scaled)


def from_minor(value: int | str, digits: int = 2) -> Decimal:
    """An amount from minor units (an integer) to a Decimal with `digits` places."""
    number = int(value)
    return (Decimal(number) / (Decimal(10) ** digits)).quantize(Decimal(1).scaleb(-digits))


def commission_by_terms(
    gross: Decimal, *, percent: Decimal, fixed_per_item: Decimal, items: int = 1
) -> Decimal:
    """What the intermediary's terms let it keep: percent of the gross plus a fixed amount per
    item, rounded half up to cents, never more than the gross."""
    value = (gross * percent / Decimal(100) + fixed_per_item * items).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return min(value, gross)


def line_adds_up(gross: Decimal, commission: Decimal, net: Decimal, *, withheld: bool) -> bool:
    """Gross - commission = net when the commission is withheld from the transfer; gross = net
    when it transfers everything and invoices its commission apart."""
    return gross - commission == net if withheld else gross == net


def owed_by_intermediary(gross: Decimal, commission: Decimal, net: Decimal) -> Decimal:
    """What an intermediary owes us after a line: collected - kept - transferred."""
    return gross - commission - net


def plan_allocation(
    open_items: Iterable[tuple[int, Decimal]], amount: Decimal
) -> list[tuple[int, Decimal]]:
    """Spread `amount` over open items in the order given (oldest due first): [(id, part)],
    each part within the item's open amount; what does not fit is left out."""
    plan = []
    left = amount
    for item_id, open_amount in open_items:
        if left <= ZERO:
            break
        part = min(open_amount, left)
        if part > ZERO:
            plan.append((item_id, part))
            left -= part
    return plan
