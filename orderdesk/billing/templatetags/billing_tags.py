"""Display helpers for billing pages and printed documents."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from orderdesk.core.money import quantize

register = template.Library()
NBSP = "\u00a0"


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def pdf_money(value, lang: str = "uk") -> str:
    """1 200,00 (Ukrainian) or 1,200.00 (English); two decimals."""
    number = _decimal(value)
    if number is None:
        return ""
    q = quantize(number, "UAH")
    sign = "-" if q < 0 else ""
    whole, _sep, frac = f"{abs(q):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    separator, point = (",", ".") if lang == "en" else (NBSP, ",")
    return f"{sign}{separator.join(groups or ['0'])}{point}{frac or '00'}"


@register.filter
def pdf_qty(value, lang: str = "uk") -> str:
    number = _decimal(value)
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return text if lang == "en" else text.replace(".", ",")


@register.filter
def lookup(mapping, key):
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
