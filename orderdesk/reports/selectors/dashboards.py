"""Dashboards per role, read from what is kept at their grain.

- The manager's pipeline and the sales head's margins by manager: `DailySalesSummary`
  (day x manager x customer x state), refreshed by `services.summaries_refresh`
  (`orderdesk refresh_summaries`); the widget says when it was last refreshed.
- The credit controller's overdue debt: the ledger's stored open amounts over the partial
  index of open items (the aging report's fast path), top customers by overdue amount.
- Queues that must be current (the warehouse's released orders, orders awaiting approval,
  credit holds) are counts over the (status, order date) index, read live.

Scopes are the reports' scopes: own customers for a manager, the team's for a head, all for
credit control, accounting and administration; the warehouse gets only its queue.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orderdesk.core.roles import Role, roles_of
from orderdesk.customers.selectors import customer_scope
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import order_scope

from .. import calculations as calc
from ..choices import OPEN_STATES, OrderState
from ..models import DailySalesSummary, SummaryWatermark
from ..routers import report_database
from ..states import state_q
from .base import person

SUMMARY = "daily_sales"
MARGIN_DAYS = 90
TOP_OVERDUE = 10
STATE_LABELS = dict(OrderState.choices)

WIDGETS_BY_ROLE = {
    Role.SALES_MANAGER: ("pipeline",),
    Role.SALES_HEAD: ("pipeline", "approvals", "margins"),
    Role.CREDIT_CONTROLLER: ("holds", "overdue"),
    Role.ACCOUNTANT: ("overdue",),
    Role.WAREHOUSE: ("warehouse_queue",),
    Role.ADMINISTRATOR: ("pipeline", "approvals", "margins", "holds", "overdue", "warehouse_queue"),
}
ORDER = ("warehouse_queue", "pipeline", "approvals", "holds", "overdue", "margins")


def widgets_for(user) -> list[str]:
    wanted: set[str] = set()
    for role in roles_of(user):
        wanted.update(WIDGETS_BY_ROLE.get(role, ()))
    return [w for w in ORDER if w in wanted]


def summary_refreshed_at() -> dt.datetime | None:
    mark = SummaryWatermark.objects.filter(name=SUMMARY).first()
    return mark.refreshed_at if mark else None


def _summary(user):
    return DailySalesSummary.objects.using(report_database()).filter(
        customer_scope(user, "customer__")
    )


def pipeline(user) -> dict[str, Any]:
    """The user's orders still in work, by state: how many and their net value."""
    rows = (
        _summary(user)
        .filter(state__in=list(OPEN_STATES))
        .values("state")
        .annotate(orders=Sum("orders"), net_amount=Sum("net_amount"))
        .order_by()
    )
    by_state = {r["state"]: r for r in rows}
    out = []
    for state in OPEN_STATES:
        r = by_state.get(state, {})
        out.append(
            {
                "state": str(state),
                "state_label": str(STATE_LABELS[state]),
                "orders": int(r.get("orders") or 0),
                "net_amount": calc.money(r.get("net_amount")),
            }
        )
    return {
        "rows": out,
        "orders": sum(r["orders"] for r in out),
        "net_amount": sum((r["net_amount"] for r in out), Decimal("0.00")),
    }


def margins(user, *, days: int = MARGIN_DAYS) -> dict[str, Any]:
    """Revenue, cost and margin of shipped goods by manager over the last `days` days."""
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    rows = (
        _summary(user)
        .filter(day__gte=since)
        .values("manager_id", "manager__first_name", "manager__last_name", "manager__username")
        .annotate(revenue=Sum("revenue"), cost=Sum("cost"), discount=Sum("discount"))
        .order_by("-revenue")
    )
    out = []
    for r in rows:
        revenue, cost = calc.money(r["revenue"]), calc.money(r["cost"])
        if not revenue and not cost:
            continue
        out.append(
            {
                "manager": r["manager_id"],
                "manager_label": person(
                    r["manager__first_name"], r["manager__last_name"], r["manager__username"]
                ),
                "revenue": revenue,
                "cost": cost,
                "margin": revenue - cost,
                "margin_pct": calc.margin_percent(revenue, revenue - cost),
                "discount": calc.money(r["discount"]),
            }
        )
    return {"since": since, "rows": out}


def _live_count(user, states: list[str]) -> int:
    return (
        Order.objects.using(report_database())
        .filter(order_scope(user))
        .filter(state_q(states))
        .count()
    )


def approvals(user) -> dict[str, Any]:
    return {"orders": _live_count(user, [OrderState.AWAITING_APPROVAL])}


def holds(user) -> dict[str, Any]:
    return {"orders": _live_count(user, [OrderState.CREDIT_HOLD])}


def warehouse_queue(user) -> dict[str, Any]:
    """Confirmed orders released to the warehouse (and those shipped in part), live."""
    qs = (
        Order.objects.using(report_database())
        .filter(order_scope(user), status="confirmed")
        .filter(fulfillment_status__in=["released", "partially_shipped"])
        .values("fulfillment_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["fulfillment_status"]: r["n"] for r in qs}
    return {
        "released": counts.get("released", 0),
        "partially_shipped": counts.get("partially_shipped", 0),
    }


def overdue(user) -> dict[str, Any]:
    """The customers with the most overdue debt today (stored open amounts)."""
    from .aging import REPORT as AGING

    params = AGING.parse({"sort": "-overdue"})
    rows = [r for r in AGING.rows(user, params) if r["overdue"] > 0][:TOP_OVERDUE]
    total = sum((r["overdue"] for r in rows), Decimal("0.00"))
    return {"rows": rows, "total": total, "params": params}


WIDGETS = {
    "pipeline": pipeline,
    "approvals": approvals,
    "margins": margins,
    "holds": holds,
    "overdue": overdue,
    "warehouse_queue": warehouse_queue,
}
TITLES = {
    "pipeline": _("Orders in work"),
    "approvals": _("Awaiting approval"),
    "margins": _("Margins by manager"),
    "holds": _("Credit holds"),
    "overdue": _("Overdue debt"),
    "warehouse_queue": _("Warehouse queue"),
}


def dashboard(user) -> dict[str, Any]:
    """The widgets of the user's roles with their data."""
    widgets = []
    for key in widgets_for(user):
        widgets.append({"key": key, "title": TITLES[key], "data": WIDGETS[key](user)})
    return {"widgets": widgets, "summary_refreshed_at": summary_refreshed_at()}
