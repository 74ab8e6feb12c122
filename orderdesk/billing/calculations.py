"""Document arithmetic and wording: pure Python, no Django.

- Instalment amounts: a total split by the schedule's shares, each rounded, the last taking
  the remainder so the parts add up to the total exactly.
- Due dates from an instalment's trigger and days.
- A line's share of an order line: the last part takes what is left of the order line's
  rounded amounts, so the documents of a line add up to the line.
- The total in words, Ukrainian legal style: "Одна тисяча двісті гривень 50 копійок".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from num2words import num2words

from orderdesk.core.money import HUNDRED, ZERO, quantize
from orderdesk.orders.calculations import Amounts, line_amounts

PREPAYMENT_TRIGGERS = frozenset({"on_order", "before_shipment"})


def split_by_shares(total: Decimal, shares: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Parts of `total` by percentage shares; the last part is the remainder."""
    if not shares:
        return []
    parts = [quantize(total * share / HUNDRED, currency) for share in shares[:-1]]
    parts.append(total - sum(parts, ZERO))
    return parts


def due_date(
    trigger: str,
    days: int,
    *,
    issue_date: dt.date,
    shipped_on: dt.date | None = None,
    planned_shipment: dt.date | None = None,
) -> dt.date:
    """When an instalment is due.

    on_order / after_invoice: `days` after the invoice; after_shipment: `days` after the goods
    left (after the invoice while they have not); before_shipment: `days` before the planned
    shipment, never before the invoice itself.
    """
    offset = dt.timedelta(days=days)
    if trigger == "after_shipment":
        return (shipped_on or issue_date) + offset
    if trigger == "before_shipment":
        if planned_shipment is None:
            return issue_date
        return max(issue_date, planned_shipment - offset)
    return issue_date + offset


def part_of_line(
    *,
    quantity: Decimal,
    line_quantity: Decimal,
    line_amounts_total: Amounts,
    done_quantity: Decimal,
    done_amounts: Amounts,
    unit_price: Decimal,
    discount_percent: Decimal,
    vat_rate: Decimal,
    currency: str,
) -> Amounts:
    """Amounts of `quantity` of an order line of which `done_quantity` (worth `done_amounts`)
    is on earlier documents. The part that completes the line takes exactly what is left."""
    if done_quantity + quantity >= line_quantity:
        return Amounts(
            line_amounts_total.net - done_amounts.net,
            line_amounts_total.vat - done_amounts.vat,
            line_amounts_total.gross - done_amounts.gross,
        )
    return line_amounts(
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_rate=vat_rate,
        currency=currency,
    )


def apply_deduction(
    amounts: Sequence[Decimal], prepaid: Sequence[bool], deduction: Decimal
) -> list[Decimal]:
    """Take `deduction` (what earlier prepayment invoices asked for) off the prepaid parts
    first, then off the other parts from the last one back. Never below zero."""
    result = list(amounts)
    left = deduction
    order = [i for i, p in enumerate(prepaid) if p] + [
        i for i in reversed(range(len(result))) if not prepaid[i]
    ]
    for i in order:
        if left <= ZERO:
            break
        take = min(left, result[i])
        result[i] -= take
        left -= take
    return result


# --- the total in words ----------------------------------------------------------------------

# (one, few, many) for 1 / 2-4 / 5-20 of the unit; feminine units change "один"/"два".
CURRENCY_WORDS_UK: dict[str, tuple[tuple[str, str, str], bool, tuple[str, str, str], bool]] = {
    "UAH": (("гривня", "гривні", "гривень"), True, ("копійка", "копійки", "копійок"), True),
    "USD": (("долар США", "долари США", "доларів США"), False, ("цент", "центи", "центів"), False),
    "EUR": (("євро", "євро", "євро"), False, ("цент", "центи", "центів"), False),
    "PLN": (("злотий", "злоті", "злотих"), False, ("грош", "гроші", "грошів"), False),
    "GBP": (
        ("фунт стерлінгів", "фунти стерлінгів", "фунтів стерлінгів"),
        False,
        ("пенс", "пенси", "пенсів"),
        False,
    ),
}
CURRENCY_WORDS_EN: dict[str, tuple[str, str, str, str]] = {
    "UAH": ("hryvnia", "hryvnias", "kopiyka", "kopiykas"),
    "USD": ("US dollar", "US dollars", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "PLN": ("zloty", "zlotys", "grosz", "groszy"),
    "GBP": ("pound sterling", "pounds sterling", "penny", "pence"),
}


def plural_uk(n: int, forms: tuple[str, str, str]) -> str:
    """The Ukrainian form for `n`: 1, 21 -> one; 2-4, 22-24 -> few; 0, 5-20, 11-14 -> many."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _feminine(words: str) -> str:
    """num2words says "один"/"два" for the last number; feminine units need "одна"/"дві"."""
    head, _sep, last = words.rpartition(" ")
    last = {"один": "одна", "два": "дві"}.get(last, last)
    return f"{head} {last}" if head else last


def amount_in_words_uk(amount: Decimal, currency: str = "UAH") -> str:
    """ "Одна тисяча двісті гривень 50 копійок": whole units in words, minor units in figures,
    each with its plural form; capitalised."""
    amount = quantize(amount, currency)
    whole = int(abs(amount))
    minor = int((abs(amount) - whole) * 100)
    unit, unit_feminine, sub, _sub_feminine = CURRENCY_WORDS_UK.get(
        currency, ((currency, currency, currency), False, ("", "", ""), False)
    )
    words = num2words(whole, lang="uk")
    if unit_feminine:
        words = _feminine(words)
    text = f"{words} {plural_uk(whole, unit)}"
    if sub[0]:
        text += f" {minor:02d} {plural_uk(minor, sub)}"
    if amount < 0:
        text = f"мінус {text}"
    return text[:1].upper() + text[1:]


def amount_in_words_en(amount: Decimal, currency: str = "UAH") -> str:
    """ "One thousand two hundred hryvnias 50 kopiykas"."""
    amount = quantize(amount, currency)
    whole = int(abs(amount))
    minor = int((abs(amount) - whole) * 100)
    one, many, sub_one, sub_many = CURRENCY_WORDS_EN.get(currency, (currency, currency, "", ""))
    words = num2words(whole, lang="en").replace(",", "")
    text = f"{words} {one if whole == 1 else many}"
    if sub_one:
        text += f" {minor:02d} {sub_one if minor == 1 else sub_many}"
    if amount < 0:
        text = f"minus {text}"
    return text[:1].upper() + text[1:]
