"""Reading contracts and price lists, scoped like the customers they belong to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from orderdesk.core import cache
from orderdesk.core.errors import NotFound
from orderdesk.core.roles import Role, roles_of
from orderdesk.customers.selectors import customer_scope

from .models import (
    Contract,
    ContractPrice,
    DiscountBudget,
    DiscountPolicy,
    PriceImport,
    PriceList,
    PriceListItem,
    PricingLimits,
    RoleDiscountCap,
)

PRICE_VIEWERS = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.SALES_HEAD,
        Role.SALES_MANAGER,
        Role.CREDIT_CONTROLLER,
        Role.ACCOUNTANT,
    }
)


def can_view_prices(user) -> bool:
    """Price lists are for sales, finance and administration, not the warehouse."""
    return bool(roles_of(user) & PRICE_VIEWERS)


def contract_list_for(*, user, customer: Any = None) -> QuerySet[Contract]:
    """Contracts of the customers the user may see (optionally of one customer)."""
    qs = Contract.objects.filter(customer_scope(user, "customer__")).select_related(
        "customer",
        "currency",
        "price_list",
        "payment_terms",
        "payment_method",
        "delivery_method",
    )
    if customer not in (None, ""):
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    return qs.order_by("customer__short_name", "-is_default", "-date", "pk")


def contract_get_for(*, user, pk: Any) -> Contract:
    """One contract if the user may see its customer; else `contract_not_found` (404)."""
    try:
        return contract_list_for(user=user).get(pk=int(pk))
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such contract."), code="contract_not_found") from None


def price_list_list(*, q: str = "", active: bool | None = None) -> QuerySet[PriceList]:
    qs = (
        PriceList.objects.select_related("currency")
        .prefetch_related("customer_groups")
        .annotate(item_count=Count("items"))
    )
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("name", "pk")


def price_list_get(pk: Any) -> PriceList:
    try:
        return price_list_list().get(pk=int(pk))
    except (PriceList.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such price list."), code="price_list_not_found") from None


def price_items(*, price_list: PriceList, q: str = "", on: dt.date | None = None):
    """The list's prices with their products, searched by SKU or name, optionally valid on a day."""
    qs = PriceListItem.objects.filter(price_list=price_list).select_related("product")
    if q:
        qs = qs.filter(Q(product__sku__icontains=q) | Q(product__name__icontains=q))
    if on is not None:
        qs = qs.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return qs.order_by("product__sku", "min_quantity", "-valid_from", "pk")


def price_item_get(*, price_list: PriceList, pk: Any) -> PriceListItem:
    try:
        return price_items(price_list=price_list).get(pk=int(pk))
    except (PriceListItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such price."), code="price_not_found") from None


def overlapping_prices(
    *,
    price_list_id: int,
    product_id: int,
    min_quantity: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_pk: int | None = None,
) -> QuerySet[PriceListItem]:
    """Prices of the product for the same quantity break in the list valid on a shared day."""
    qs = PriceListItem.objects.filter(
        price_list_id=price_list_id, product_id=product_id, min_quantity=min_quantity
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("valid_from")


# --- contract prices, discount policies, limits -----------------------------------------------


def contract_prices(*, contract: Contract, on: dt.date | None = None) -> QuerySet[ContractPrice]:
    qs = ContractPrice.objects.filter(contract=contract).select_related("product")
    if on is not None:
        qs = qs.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return qs.order_by("product__sku", "-valid_from", "pk")


def contract_price_get(*, contract: Contract, pk: Any) -> ContractPrice:
    try:
        return contract_prices(contract=contract).get(pk=int(pk))
    except (ContractPrice.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such price."), code="price_not_found") from None


def discount_policy_list(*, q: str = "", active: bool | None = None) -> QuerySet[DiscountPolicy]:
    qs = DiscountPolicy.objects.select_related("customer_group", "product_group")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-priority", "code")


def manual_discount_cap(user) -> Decimal:
    """The largest manual discount among the user's roles' caps (0 without any)."""
    caps = RoleDiscountCap.objects.filter(role__in=roles_of(user)).values_list(
        "max_manual_discount", flat=True
    )
    return max(caps, default=Decimal("0"))


def budget_for(*, manager_id: int, on: dt.date) -> DiscountBudget | None:
    """The manager's discount budget whose period holds `on`."""
    return DiscountBudget.objects.filter(
        manager_id=manager_id, period_start__lte=on, period_end__gte=on
    ).first()


def budget_list() -> QuerySet[DiscountBudget]:
    return DiscountBudget.objects.select_related("manager").order_by("manager_id", "-period_start")


def price_import_get(*, price_list: PriceList, pk: Any) -> PriceImport:
    try:
        return PriceImport.objects.get(price_list=price_list, pk=int(pk))
    except (PriceImport.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such import."), code="import_not_found") from None


@dataclass(frozen=True)
class ManagerLimits:
    """The limits row with the manager's manual discount cap and budget of a day."""

    limits: PricingLimits
    cap: Decimal
    budget: DiscountBudget | None


# the one limits row is reference data (core.cache); the caps of roles and the budgets are read
# exactly, in a query made anyway: the manager's roles and budgets are not cached
cache.track(PricingLimits)

LIMITS_ANNOTATIONS = (
    "limits_manager",
    "limits_day",
    "limits_cap",
    "limits_budget_id",
    "limits_budget_amount",
    "limits_budget_start",
    "limits_budget_end",
)


def limits_subqueries(*, manager_field: str, day_field: str) -> dict[str, Any]:
    """The manager's cap (the largest among the manager's roles) and the budget whose period
    holds the day, as scalar subqueries named `LIMITS_ANNOTATIONS`, to annotate on a query made
    anyway whose rows name the manager and the day in `manager_field` and `day_field` (the
    order: "manager_id", "order_date"). `limits_for(..., known=row)` then reads nothing but
    the limits row, which is cached; it checks that the row was read for the same manager and
    day. Caps and budgets are read exactly, in that statement."""
    outer = OuterRef(OuterRef(manager_field))  # from inside the caps' subquery
    roles = Q(role__in=Group.objects.filter(user=outer).values("name")) | Q(
        Exists(get_user_model().objects.filter(pk=outer, is_superuser=True)),
        role=Role.ADMINISTRATOR,
    )
    return {
        "limits_manager": F(manager_field),
        "limits_day": F(day_field),
        **_subqueries(roles, OuterRef(manager_field), OuterRef(day_field)),
    }


def _subqueries(roles: Q, manager: Any, on: Any) -> dict[str, Subquery]:
    caps = RoleDiscountCap.objects.filter(roles).order_by("-max_manual_discount")
    budgets = DiscountBudget.objects.filter(
        manager=manager, period_start__lte=on, period_end__gte=on
    ).order_by("period_start")
    return {
        "limits_cap": Subquery(caps.values("max_manual_discount")[:1]),
        "limits_budget_id": Subquery(budgets.values("pk")[:1]),
        "limits_budget_amount": Subquery(budgets.values("amount")[:1]),
        "limits_budget_start": Subquery(budgets.values("period_start")[:1]),
        "limits_budget_end": Subquery(budgets.values("period_end")[:1]),
    }


def _limits_row() -> PricingLimits:
    row = PricingLimits.objects.filter(pk=1).first()
    if row is None:  # a database set up without the seed
        row, _created = PricingLimits.objects.get_or_create(pk=1)
    return row


def limits_for(*, manager, on: dt.date, known: Any = None) -> ManagerLimits:
    """The limits, the manager's cap (the largest among the manager's roles; 0 without one)
    and the budget whose period holds `on`, in one query.

    `known`: a row that carries `limits_subqueries()` (annotated on a query made anyway, for
    this manager and day); then the cap and the budget come from it, and the limits row from
    the reference cache inside a `core.cache.scope`: no query."""
    if (
        known is not None
        and all(hasattr(known, name) for name in LIMITS_ANNOTATIONS)
        and (known.limits_manager, known.limits_day) == (manager.pk, on)
    ):
        limits = cache.cached("pricing.limits", _limits_row)
        return _manager_limits(limits, manager, known)
    roles = Q(role__in=Group.objects.filter(user=manager).values("name"))
    if manager.is_superuser:
        roles |= Q(role=Role.ADMINISTRATOR)
    row = PricingLimits.objects.filter(pk=1).annotate(**_subqueries(roles, manager, on)).first()
    if row is None:  # a database set up without the seed
        PricingLimits.objects.get_or_create(pk=1)
        return limits_for(manager=manager, on=on)
    return _manager_limits(row, manager, row)


def _manager_limits(limits: PricingLimits, manager, known: Any) -> ManagerLimits:
    budget = None
    if known.limits_budget_id is not None:
        budget = DiscountBudget(
            pk=known.limits_budget_id,
            manager=manager,
            period_start=known.limits_budget_start,
            period_end=known.limits_budget_end,
            amount=known.limits_budget_amount,
        )
    cap = known.limits_cap
    return ManagerLimits(limits, Decimal(cap) if cap is not None else Decimal("0"), budget)
