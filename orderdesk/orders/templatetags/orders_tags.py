"""Display helpers for the order pages: amounts, quantities, status badges, history labels."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.html import format_html

from orderdesk.core.money import minor_unit, quantize

from ..choices import FulfillmentStatus, OrderStatus, PaymentStatus
from ..registrations import action_label as _action_label

register = template.Library()

_CHOICES = {
    "status": OrderStatus,
    "fulfillment": FulfillmentStatus,
    "payment": PaymentStatus,
}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _plain(value: Decimal) -> str:
    """No exponent, no trailing zeros: Decimal("1E+1") -> "10", Decimal("2.500") -> "2.5"."""
    return format(value.normalize(), "f")


@register.filter
def money(value, currency: str = "") -> str:
    """An amount rounded to the currency's minor unit, grouped, with the currency code."""
    amount = _decimal(value)
    if amount is None:
        return ""
    code = str(currency or "")
    places = minor_unit(code) if code else 2
    text = number_format(quantize(amount, code or "UAH"), places, force_grouping=True)
    return f"{text}\u00a0{code}" if code else text


@register.filter
def amount(value, currency: str = "") -> str:
    """Like `money` without the currency code (table cells under a currency heading)."""
    number = _decimal(value)
    if number is None:
        return ""
    code = str(currency or "UAH")
    return number_format(quantize(number, code), minor_unit(code), force_grouping=True)


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros (3, 2.5, 0.125), localized."""
    number = _decimal(value)
    if number is None:
        return ""
    plain = _plain(number)
    places = len(plain.partition(".")[2])
    return number_format(Decimal(plain), places, force_grouping=True)


@register.filter
def price(value) -> str:
    """A unit price: two decimals, more only when the price has them (up to four)."""
    number = _decimal(value)
    if number is None:
        return ""
    places = max(2, len(_plain(number).partition(".")[2]))
    return number_format(number, min(places, 4), force_grouping=True)


@register.filter
def num_input(value) -> str:
    """A number for an input box: localized decimal separator, no grouping, no trailing zeros."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    plain = _plain(number)
    return number_format(Decimal(plain), len(plain.partition(".")[2]), force_grouping=False)


@register.filter
def date_input(value) -> str:
    """A date for <input type=date> (ISO); a string the user typed comes back as it was."""
    if value in (None, ""):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@register.simple_tag
def badge(kind: str, value: str):
    """A coloured badge for a status value (kind: status, fulfillment or payment)."""
    choices = _CHOICES[kind]
    try:
        label = choices(value).label
    except ValueError:
        label = value
    return format_html('<span class="status {} {}-{}">{}</span>', value, kind, value, label)


@register.filter
def action_label(code: str) -> str:
    return _action_label(code)


@register.simple_tag
def customer_url(customer) -> str:
    """The customer card's address, when the customers app serves one."""
    pk = getattr(customer, "pk", customer)
    for name in ("customers:detail", "customers:card"):
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (paging links keep the filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
