"""Reading customers and trade terms, scoped to what the user may see; who may change what.

Visibility by role (a user holding several roles gets the union): administrators, credit
controllers and accountants see every customer; a head of sales sees the customers managed by
the members of the teams the head leads, and own; a sales manager sees own customers (those
whose responsible manager is the user); the warehouse sees none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound
from orderdesk.core.roles import Role, roles_of

from .models import (
    Contact,
    Customer,
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
    PaymentTermsInstalment,
    SalesTeam,
)

SEE_ALL = frozenset({Role.ADMINISTRATOR, Role.CREDIT_CONTROLLER, Role.ACCOUNTANT})
SALES = frozenset({Role.SALES_MANAGER, Role.SALES_HEAD})
# Roles that see some customers; everyone else (the warehouse) sees none.
CUSTOMER_VIEWERS = SEE_ALL | SALES
# Contact details a sales manager may change on an own customer.
CONTACT_DETAIL_FIELDS = frozenset({"legal_address", "delivery_address", "email", "phone"})


def team_manager_ids(user) -> set[int]:
    """The user and every member of the teams the user leads (cached on the user)."""
    cached = getattr(user, "_orderdesk_team", None)
    if cached is None:
        cached = {user.pk} | set(
            SalesTeam.members.through.objects.filter(salesteam__head=user).values_list(
                "user_id", flat=True
            )
        )
        user._orderdesk_team = cached
    return cached


def customer_scope(user, prefix: str = "") -> Q:
    """The customers `user` may see, as a filter (prefix it to filter related rows)."""
    roles = roles_of(user)
    if roles & SEE_ALL:
        return Q()
    q = Q(**{f"{prefix}pk__in": []})
    if Role.SALES_HEAD in roles:
        q |= Q(**{f"{prefix}manager_id__in": team_manager_ids(user)})
    if Role.SALES_MANAGER in roles:
        q |= Q(**{f"{prefix}manager_id": user.pk})
    return q


def can_view_customers(user) -> bool:
    """Does the user have a role that sees customers at all (the list page, the API)?"""
    return bool(roles_of(user) & CUSTOMER_VIEWERS)


def customer_list_for(
    *, user, q: str = "", group: Any = None, manager: Any = None, active: bool | None = None
) -> QuerySet[Customer]:
    """Customers the user may see, searched by name, tax id, phone or e-mail."""
    qs = Customer.objects.filter(customer_scope(user)).select_related("manager", "group")
    text = (q or "").strip()
    if text:
        qs = qs.filter(
            Q(short_name__icontains=text)
            | Q(legal_name__icontains=text)
            | Q(tax_id__startswith=text)
            | Q(email__icontains=text)
            | Q(phone__icontains=text)
        )
    if group not in (None, ""):
        qs = qs.filter(group_id=group)
    if manager not in (None, ""):
        qs = qs.filter(manager_id=manager)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("short_name", "pk")


def customer_get_for(*, user, pk: Any) -> Customer:
    """One customer with contacts, if the user may see it; else `customer_not_found` (404)."""
    try:
        return (
            Customer.objects.filter(customer_scope(user))
            .select_related("manager", "group")
            .prefetch_related("contacts")
            .get(pk=int(pk))
        )
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such customer."), code="customer_not_found") from None


def contact_get_for(*, user, customer_pk: Any, pk: Any) -> Contact:
    customer = customer_get_for(user=user, pk=customer_pk)
    try:
        return Contact.objects.select_related("customer").get(customer=customer, pk=int(pk))
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such contact."), code="contact_not_found") from None


# --- who may change what ------------------------------------------------------------------


def is_administrator(user) -> bool:
    return Role.ADMINISTRATOR in roles_of(user)


def leads_manager_of(user, customer: Customer) -> bool:
    return Role.SALES_HEAD in roles_of(user) and customer.manager_id in team_manager_ids(user)


def can_create_customer(user) -> bool:
    return bool(roles_of(user) & {Role.ADMINISTRATOR, Role.SALES_HEAD, Role.SALES_MANAGER})


def editable_customer_fields(user, customer: Customer) -> frozenset[str] | None:
    """Fields of `customer` the user may change; None = every field, empty = none."""
    if is_administrator(user) or leads_manager_of(user, customer):
        return None
    if Role.SALES_MANAGER in roles_of(user) and customer.manager_id == user.pk:
        return CONTACT_DETAIL_FIELDS
    return frozenset()


def can_edit_customer(user, customer: Customer) -> bool:
    return editable_customer_fields(user, customer) != frozenset()


def can_edit_contacts(user, customer: Customer) -> bool:
    """Contacts follow the contact details: administrators, the team's head, the own manager."""
    return can_edit_customer(user, customer)


def can_edit_contracts(user, customer: Customer) -> bool:
    """Contracts: administrators and the head of the customer's team, not the manager."""
    return is_administrator(user) or leads_manager_of(user, customer)


def assignable_managers(user):
    """Users `user` may make responsible for a customer: any (admin), the team (head), self."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    if is_administrator(user):
        return users.filter(groups__name__in=list(SALES)).distinct().order_by("username")
    if Role.SALES_HEAD in roles_of(user):
        return users.filter(pk__in=team_manager_ids(user)).order_by("username")
    return users.filter(pk=user.pk)


# --- reference data (readable by every signed-in user) ------------------------------------


def customer_group_list() -> QuerySet[CustomerGroup]:
    return CustomerGroup.objects.order_by("name", "pk")


def sales_team_list() -> QuerySet[SalesTeam]:
    return SalesTeam.objects.select_related("head").prefetch_related("members").order_by("name")


def payment_terms_list() -> QuerySet[PaymentTerms]:
    return PaymentTerms.objects.prefetch_related(
        Prefetch("instalments", queryset=PaymentTermsInstalment.objects.order_by("position"))
    ).order_by("name", "pk")


def payment_method_list() -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.order_by("name", "pk")


def delivery_method_list() -> QuerySet[DeliveryMethod]:
    return DeliveryMethod.objects.order_by("name", "pk")
