"""Filters the order-based reports share, applied the same way everywhere."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from orderdesk.orders.models import Order
from orderdesk.orders.permissions import order_scope

from ..choices import Period
from ..params import NONE, Param, Params
from ..permissions import prefixed, require_reports


def order_filters() -> list[Param]:
    return [
        Param("date_from", "date"),
        Param("date_to", "date"),
        Param("manager", "id"),
        Param("customer", "id"),
        Param("currency", "text"),
        Param("period", "choice", tuple(Period.values), Period.MONTH),
    ]


def scoped_orders(user, prefix: str = "") -> Q:
    """The orders the user may see (the order list's scope), as a filter from `prefix`."""
    require_reports(user)
    q = order_scope(user)
    return prefixed(q, prefix) if prefix else q


def apply_order_filters(qs: QuerySet, params: Params, prefix: str = "") -> QuerySet:
    p = prefix
    if params.get("date_from"):
        qs = qs.filter(**{f"{p}order_date__gte": params["date_from"]})
    if params.get("date_to"):
        qs = qs.filter(**{f"{p}order_date__lte": params["date_to"]})
    if params.get("manager"):
        qs = qs.filter(**{f"{p}manager_id": params["manager"]})
    if params.get("customer"):
        qs = qs.filter(**{f"{p}customer_id": params["customer"]})
    if params.get("currency"):
        qs = qs.filter(**{f"{p}currency_id": str(params["currency"]).upper()})
    return qs


def apply_ref(qs: QuerySet, path: str, value: Any) -> QuerySet:
    """Filter by a reference filter: an id, or "none" for the rows without one."""
    if value == NONE:
        return qs.filter(**{f"{path}__isnull": True})
    if value:
        return qs.filter(**{path: value})
    return qs


def visible_orders(user) -> QuerySet[Order]:
    return Order.objects.filter(scoped_orders(user))
