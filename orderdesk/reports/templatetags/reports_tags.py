"""Display helpers for report pages: a cell by its column's kind, query strings."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from orderdesk.orders.templatetags.orders_tags import amount, qty

from ..exports import cell as cell_value

register = template.Library()


@register.filter
def cell(row, column) -> str:
    """A row's value in `column`, formatted: amounts grouped with cents, quantities without
    trailing zeros, percentages with one decimal."""
    value = cell_value(row, column)
    if value is None:
        return "—" if column.kind == "percent" else ""
    if column.kind == "money":
        return amount(value)
    if column.kind == "qty":
        return qty(value)
    if column.kind == "percent":
        return f"{value}\u00a0%"
    return str(value)


@register.filter
def total_cell(totals, column) -> str:
    if not column.is_measure or not column.total:
        return ""
    return cell({column.key: totals.get(column.key)}, column)


@register.simple_tag
def query(params: dict, **changes) -> str:
    """A query string from `params` with `changes` applied (None removes a key)."""
    merged = {**params}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return urlencode(merged)


@register.filter
def document_link(item) -> str | None:
    """The page of the document behind a ledger item (an invoice, a credit note, a payment)."""
    from orderdesk.billing.views import SLUG_OF

    if item.doc_type in SLUG_OF:
        return reverse("billing:document", args=[SLUG_OF[item.doc_type], item.doc_id])
    if item.doc_type == "payment":
        return reverse("billing:payment", args=[item.doc_id])
    return None
