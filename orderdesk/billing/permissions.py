"""Who may see and do what with documents and payments.

- accountants and administrators create, post and reverse every document and payment;
- credit controllers read everything;
- sales managers and heads read the documents and payments of the customers they sell to
  (the orders they see) and may create a prepayment invoice draft for an order they may edit;
- the warehouse reads delivery notes of released orders, nothing else.
"""

from __future__ import annotations

from django.db.models import Q

from orderdesk.core.roles import Role, has_role, roles_of
from orderdesk.customers.selectors import customer_scope
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import RELEASED, can_edit_order

ACCOUNTING = frozenset({Role.ACCOUNTANT, Role.ADMINISTRATOR})
READ_ALL = ACCOUNTING | {Role.CREDIT_CONTROLLER}
BILLING_VIEWERS = READ_ALL | {Role.SALES_MANAGER, Role.SALES_HEAD}
DOCUMENT_VIEWERS = BILLING_VIEWERS | {Role.WAREHOUSE}
SHIPPERS = frozenset({Role.WAREHOUSE, Role.ADMINISTRATOR, Role.ACCOUNTANT})


def can_view_billing(user, doc_type: str = "") -> bool:
    """May open billing at all — documents of `doc_type` (any type when empty), payments,
    allocations, open items, statements; the gate of the pages and of the API alike. The
    warehouse passes only for delivery notes."""
    viewers = DOCUMENT_VIEWERS if doc_type == "delivery_note" else BILLING_VIEWERS
    return has_role(user, *viewers)


def can_account(user) -> bool:
    """May create, post and reverse documents, payments and allocations."""
    return has_role(user, *ACCOUNTING)


def can_read_all(user) -> bool:
    return has_role(user, *READ_ALL)


def can_create_prepayment(user, order: Order) -> bool:
    return can_account(user) or can_edit_order(user, order)


def document_scope(user, doc_type: str) -> Q:
    """The documents of `doc_type` the user may read, as a filter on the document."""
    roles = roles_of(user)
    if roles & READ_ALL:
        return Q()
    q = customer_scope(user, "customer__")
    if Role.WAREHOUSE in roles and doc_type == "delivery_note":
        q |= Q(order__status="confirmed", order__fulfillment_status__in=RELEASED)
    return q


def payment_scope(user) -> Q:
    if roles_of(user) & READ_ALL:
        return Q()
    return customer_scope(user, "customer__")
