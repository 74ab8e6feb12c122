"""Who may see and change which orders, and which terms.

Scope by role: a sales manager works with the orders of own customers (the customer's
responsible manager); a head of sales with those of the team's customers; credit
controllers, accountants and administrators see every order; the warehouse sees only
released orders. A user holding several roles gets the union.
"""

from __future__ import annotations

from django.db.models import Q

from orderdesk.core.roles import Role, roles_of
from orderdesk.customers.models import Customer, SalesTeam

from .choices import FulfillmentStatus
from .models import Order, TermRight

SEE_ALL = {Role.ADMINISTRATOR, Role.CREDIT_CONTROLLER, Role.ACCOUNTANT}
RELEASED = [
    FulfillmentStatus.RELEASED,
    FulfillmentStatus.PARTIALLY_SHIPPED,
    FulfillmentStatus.SHIPPED,
]


def team_manager_ids(user) -> set[int]:
    """The user and every member of the teams the user leads."""
    cached = getattr(user, "_orderdesk_team", None)
    if cached is None:
        cached = {user.pk} | set(
            SalesTeam.members.through.objects.filter(salesteam__head=user).values_list(
                "user_id", flat=True
            )
        )
        user._orderdesk_team = cached
    return cached


def managed_customer_q(user, prefix: str = "") -> Q | None:
    """Q over customers the user sells to (own, or the team's for a head); None if no such role."""
    roles = roles_of(user)
    if Role.SALES_HEAD in roles:
        return Q(**{f"{prefix}manager_id__in": team_manager_ids(user)})
    if Role.SALES_MANAGER in roles:
        return Q(**{f"{prefix}manager_id": user.pk})
    return None


def order_scope(user) -> Q:
    """The orders `user` may see, as a filter; an impossible filter for nobody."""
    roles = roles_of(user)
    if roles & SEE_ALL:
        return Q()
    q = Q(pk__in=[])
    sales = managed_customer_q(user, "customer__")
    if sales is not None:
        q |= sales
    if Role.WAREHOUSE in roles:
        q |= Q(status="confirmed", fulfillment_status__in=RELEASED)
    return q


def customer_scope(user) -> Q:
    roles = roles_of(user)
    if roles & SEE_ALL:
        return Q()
    sales = managed_customer_q(user)
    return sales if sales is not None else Q(pk__in=[])


def can_sell_to(user, customer: Customer) -> bool:
    """May `user` enter and change orders of `customer`?"""
    roles = roles_of(user)
    if Role.ADMINISTRATOR in roles:
        return True
    if Role.SALES_HEAD in roles and customer.manager_id in team_manager_ids(user):
        return True
    return Role.SALES_MANAGER in roles and customer.manager_id == user.pk


def can_edit_order(user, order: Order) -> bool:
    return can_sell_to(user, order.customer)


def can_view_order(user, order: Order) -> bool:
    return Order.objects.filter(order_scope(user), pk=order.pk).exists()


def allowed_terms(user) -> frozenset[str]:
    """The terms (Term values) the user's roles may change on an order."""
    cached = getattr(user, "_orderdesk_terms", None)
    if cached is None:
        cached = frozenset(
            TermRight.objects.filter(role__in=roles_of(user)).values_list("term", flat=True)
        )
        user._orderdesk_terms = cached
    return cached


def can_change_term(user, term: str) -> bool:
    return term in allowed_terms(user)


def can_manage_templates(user) -> bool:
    return bool(roles_of(user) & {Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMINISTRATOR})
