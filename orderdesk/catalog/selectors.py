"""Reading the catalogue: every signed-in user sees products, groups, warehouses and stock."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound

from .models import Product, ProductGroup, StockBalance, Warehouse


def product_list(
    *, q: str = "", group: Any = None, active: bool | None = None
) -> QuerySet[Product]:
    """Products searched by SKU or name, filtered by group and active flag."""
    qs = Product.objects.select_related("group", "cost_currency")
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(sku__icontains=text) | Q(name__icontains=text))
    if group not in (None, ""):
        qs = qs.filter(group_id=group)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("sku")


def stock_prefetch() -> Prefetch:
    return Prefetch(
        "balances",
        queryset=StockBalance.objects.select_related("warehouse").order_by("warehouse__code"),
    )


def product_get(pk: Any) -> Product:
    """One product with its stock per warehouse; `product_not_found` (404) otherwise."""
    try:
        return product_list().prefetch_related(stock_prefetch()).get(pk=int(pk))
    except (Product.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such product."), code="product_not_found") from None


def product_group_list() -> QuerySet[ProductGroup]:
    return ProductGroup.objects.select_related("parent").order_by("name", "pk")


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.order_by("code")
