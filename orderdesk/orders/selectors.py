"""Reading orders: always scoped to what the user may see, shaped for the page or the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from orderdesk.audit.models import Event
from orderdesk.audit.selectors import timeline
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import NotFound, ValidationFailed
from orderdesk.core.roles import Role, roles_of

from .choices import OrderStatus
from .models import DeliveryScheduleEntry, Order, OrderLine
from .permissions import order_scope
from .services._common import CONTRACT_TERMS, comparable

LIST_FILTERS = {"status", "customer", "manager", "date_from", "date_to", "q", "currency"}


def order_list_for(*, user, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """Orders the user may see, filtered; unknown filters and reversed ranges are refused."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
    unknown = set(filters) - LIST_FILTERS
    if unknown:
        raise ValidationFailed(
            _("Unknown filter: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="filter_unknown",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    qs = Order.objects.filter(order_scope(user)).select_related("customer", "manager", "currency")
    if "status" in filters:
        statuses = filters["status"] if isinstance(filters["status"], list) else [filters["status"]]
        bad = [s for s in statuses if s not in OrderStatus.values]
        if bad:
            raise ValidationFailed(
                _("Unknown status: %(s)s.") % {"s": ", ".join(bad)},
                code="filter_invalid",
                fields={"status": bad},
            )
        qs = qs.filter(status__in=statuses)
    for key, lookup in (("customer", "customer_id"), ("manager", "manager_id")):
        if key in filters:
            try:
                qs = qs.filter(**{lookup: int(filters[key])})
            except (TypeError, ValueError):
                raise ValidationFailed(
                    _("Invalid filter value."),
                    code="filter_invalid",
                    fields={key: str(filters[key])},
                ) from None
    if "currency" in filters:
        qs = qs.filter(currency_id=str(filters["currency"]).upper())
    dates = {}
    for key in ("date_from", "date_to"):
        if key in filters:
            value = filters[key]
            if not isinstance(value, dt.date):
                try:
                    value = dt.date.fromisoformat(str(value))
                except ValueError:
                    raise ValidationFailed(
                        _("Not a date: %(v)s.") % {"v": value},
                        code="filter_invalid",
                        fields={key: str(value)},
                    ) from None
            dates[key] = value
    if "date_from" in dates and "date_to" in dates and dates["date_from"] > dates["date_to"]:
        raise ValidationFailed(
            _("The date range is reversed."),
            code="date_range_reversed",
            fields={"date_from": str(dates["date_from"]), "date_to": str(dates["date_to"])},
        )
    if "date_from" in dates:
        qs = qs.filter(order_date__gte=dates["date_from"])
    if "date_to" in dates:
        qs = qs.filter(order_date__lte=dates["date_to"])
    if "q" in filters:
        text = str(filters["q"]).strip()
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(customer__short_name__icontains=text)
            | Q(customer__legal_name__icontains=text)
            | Q(customer__tax_id=text)
            | Q(customer_reference__icontains=text)
        )
    return qs


def order_get_for(*, user, pk: Any) -> Order:
    """One order with its lines and schedule, if the user may see it (else `order_not_found`)."""
    lines = (
        OrderLine.objects.select_related("product")
        .prefetch_related(
            Prefetch("schedule", queryset=DeliveryScheduleEntry.objects.order_by("date"))
        )
        .order_by("position")
    )
    try:
        return (
            Order.objects.filter(order_scope(user))
            .select_related(
                "customer",
                "contract",
                "contract__price_list",
                "manager",
                "currency",
                "price_list",
                "payment_terms",
                "payment_method",
                "delivery_method",
                "warehouse",
                "cancel_reason",
                "created_by",
            )
            .prefetch_related(Prefetch("lines", queryset=lines), "payment_terms__instalments")
            .get(pk=int(pk))
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such order."), code="order_not_found") from None


REFERENCE_TERMS = {"price_list", "payment_terms", "payment_method", "delivery_method"}


def order_differences(order: Order) -> dict[str, dict[str, Any]]:
    """Header terms that differ from the order's contract: {field: {"contract": x, "order": y}}."""
    contract = order.contract
    if contract is None:
        return {}
    out = {}
    for name in CONTRACT_TERMS:
        # compare the keys first: the contract's own references are read (one query each)
        # only for the terms that differ
        if name in REFERENCE_TERMS and getattr(order, f"{name}_id") == getattr(
            contract, f"{name}_id"
        ):
            continue
        ours = order.currency_id if name == "currency" else getattr(order, name)
        theirs = contract.currency_id if name == "currency" else getattr(contract, name)
        if comparable(ours) != comparable(theirs):
            out[name] = {
                "contract": "" if theirs is None else str(theirs),
                "order": "" if ours is None else str(ours),
            }
    return out


# Money events the warehouse does not see on an order's history: the warehouse works with
# goods and delivery notes, not with invoices, payments or credit.
MONEY_EVENTS = (
    "billing.invoice.",
    "billing.credit_note.",
    "billing.cash_receipt.",
    "billing.payment.",
    "billing.allocation.",
    "payments.",
    "credit.",
    "orders.order.payment_status_changed",
)


def order_timeline(order: Order, *, user=None) -> QuerySet[Event]:
    """The order's history; a warehouse operator (without another role) sees it without the
    money events."""
    events = timeline(stream_of(order)).select_related("actor")
    roles = roles_of(user) if user is not None else None
    if roles is not None and Role.WAREHOUSE in roles and len(roles) == 1:
        money = Q()
        for prefix in MONEY_EVENTS:
            money |= Q(action__startswith=prefix)
        events = events.exclude(money)
    return events
