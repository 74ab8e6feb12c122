"""Who may see and do what with payment links, provider payments and intermediaries.

- accountants and administrators manage all of it: links, held payments, intermediaries,
  payout reports, the review queue;
- credit controllers read everything;
- sales managers and heads see the links, provider payments and payout lines of the orders
  they see, and may create a payment link for a posted invoice of an order they may edit;
- webhooks carry no user: a verified signature is their only credential.
"""

from __future__ import annotations

from django.db.models import Q

from orderdesk.billing.permissions import ACCOUNTING, BILLING_VIEWERS, READ_ALL
from orderdesk.core.roles import has_role, roles_of
from orderdesk.customers.selectors import customer_scope
from orderdesk.orders.permissions import can_edit_order

PAYMENT_VIEWERS = BILLING_VIEWERS


def can_manage(user) -> bool:
    """Intermediaries, payout reports, the review queue, links of any order."""
    return has_role(user, *ACCOUNTING)


def can_read_all(user) -> bool:
    return has_role(user, *READ_ALL)


def can_view_payments(user) -> bool:
    return has_role(user, *PAYMENT_VIEWERS)


def can_create_link(user, order) -> bool:
    """An accountant for any order; a seller for an order of a customer they sell to."""
    return can_manage(user) or can_edit_order(user, order)


def link_scope(user, prefix: str = "") -> Q:
    """Links (or holds, payout lines: anything with a `customer`) the user may read."""
    roles = roles_of(user)
    if roles & READ_ALL:
        return Q()
    if roles & PAYMENT_VIEWERS:
        return customer_scope(user, f"{prefix}customer__")
    return Q(pk__in=[])
