"""Order states: how many orders, worth how much (base currency), in which report state,
by manager, customer and period (the order date)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from orderdesk.orders.models import Order

from ..choices import OrderState, ReportName
from ..params import Param, Params
from ..states import STATE_ORDER, state_expression, state_q, state_rank_expression
from .base import (
    Column,
    Dimension,
    GroupedReport,
    customer_dimension,
    manager_dimension,
    period_dimension,
)
from .common import apply_order_filters, order_filters, scoped_orders

LABELS = dict(OrderState.choices)


def _state_label(value: str) -> str:
    return str(LABELS.get(value, value))


class OrderStatesReport(GroupedReport):
    def __init__(self) -> None:
        super().__init__(
            name=ReportName.ORDER_STATES,
            title=_("Order states"),
            description=_(
                "Orders and their value in base currency by report state (awaiting approval, "
                "credit hold, awaiting payment, awaiting shipment, partially shipped, closed, "
                "cancelled), by manager, customer and period of the order date."
            ),
            dimensions={
                "state": Dimension("state", _("State"), "status", (), None, "state"),
                "manager": manager_dimension(""),
                "customer": customer_dimension(""),
                "period": period_dimension("order_date"),
            },
            default_group_by=("state",),
            chart_measure="net_amount",
        )

    def filters(self) -> list[Param]:
        return [*order_filters(), Param("state", "choices", tuple(OrderState.values))]

    def prepare(self, params: Params) -> None:
        groups = list(params.get("group_by") or [])
        if "state" not in groups:
            # the state is what this report is about: always one of the groupings
            params.values["group_by"] = ["state", *groups]

    def measures(self, params: Params) -> list[Column]:
        return [
            Column("orders", _("Orders"), "int"),
            Column("net_amount", _("Net, base currency"), "money"),
            Column("gross_amount", _("Total, base currency"), "money"),
        ]

    def base(self, user, params: Params) -> QuerySet:
        qs = Order.objects.filter(scoped_orders(user))
        qs = apply_order_filters(qs, params)
        if params.get("state"):
            qs = qs.filter(state_q(params["state"]))
        return qs

    def aggregates(self, params: Params) -> dict[str, Any]:
        return {
            "orders": Count("id"),
            "net_amount": Sum("base_net_amount"),
            "gross_amount": Sum("base_gross_amount"),
        }

    def dimension_expression(self, key: str, params: Params):
        if key == "state":
            # grouped by the state's index: one integer CASE per order, in business order
            return state_rank_expression()
        return None

    def label_of(self, key: str, value: Any, labels: list[Any]) -> str:
        if key == "state":
            return _state_label(value)
        return super().label_of(key, value, labels)

    def convert(self, key: str, value: Any) -> Any:
        return STATE_ORDER[value] if key == "state" else value


def orders_in(user, params: Params) -> QuerySet[Order]:
    """The orders behind a row of the report (its drill-down)."""
    return (
        REPORT.base(user, params)
        .annotate(report_state=state_expression())
        .select_related("customer", "manager", "currency")
        .order_by("-order_date", "-id")
    )


REPORT = OrderStatesReport()
