"""Reading contracts and price lists, scoped like the customers they belong to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound
from orderdesk.core.roles import Role, roles_of
from orderdesk.customers.selectors import customer_scope

from .models import Contract, PriceList, PriceListItem

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


def product_prices(*, product, on: dt.date) -> QuerySet[PriceListItem]:
    """The product's prices valid on `on` in the active price lists."""
    return (
        PriceListItem.objects.filter(product=product, price_list__active=True, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("price_list")
        .order_by("price_list__name", "min_quantity")
    )


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
