"""What the ledger adds to shared places: the balance panel on the customer card.

Higher apps add export formats to the statement page here (billing adds the PDF) instead of
the ledger importing them.
"""

from __future__ import annotations

from django.utils import timezone

from orderdesk.core.panels import register_panel
from orderdesk.core.roles import has_role

from .selectors import balances, open_items_for, overdue_amount

LEDGER_VIEWERS = ("accountant", "administrator", "credit_controller", "sales_manager", "sales_head")
STATEMENT_EXPORTS: list[tuple[str, str]] = []


def register_statement_export(label, url_name: str) -> None:
    """Offer a statement export (label, URL name taking the customer id) on the page."""
    if (label, url_name) not in STATEMENT_EXPORTS:
        STATEMENT_EXPORTS.append((label, url_name))


def customer_balance_panel(request, customer):
    if not has_role(request.user, *LEDGER_VIEWERS):
        return None
    items = list(open_items_for(user=request.user, customer=customer.pk)[:15])
    return {
        "balances": balances(customer),
        "overdue": overdue_amount(customer, on=timezone.localdate()),
        "items": items,
        "today": timezone.localdate(),
    }


register_panel(
    "customer_card",
    "receivables",
    template="receivables/panels/_customer_balance.html",
    context=customer_balance_panel,
    order=35,
)
