"""Cancellation reasons: what was cancelled (quantity and net value in base currency) and
why, by reason, product, product group, manager, customer and period (the order date).

What counts as cancelled, per order line:

- every line of a cancelled order: its quantity less what shipped (an order with shipments
  is cancelled by line, so this is its whole quantity), with the order's reason;
- a line of any other order with `cancelled_quantity` > 0: that quantity, with the line's
  reason. Lines do not carry a reason yet (it comes with line cancellation); until then the
  order's reason applies, which for an order not cancelled is "(none)". `REASON_PATH` is the
  one place to change when the line gets its own.

Value = cancelled quantity x unit price x (1 - discount) x the order's exchange rate.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from orderdesk.orders.models import OrderLine

from ..choices import ReportName
from ..params import Param, Params
from .base import (
    Column,
    Dimension,
    GroupedReport,
    customer_dimension,
    manager_dimension,
    period_dimension,
)
from .common import apply_order_filters, apply_ref, order_filters, scoped_orders

QTY = DecimalField(max_digits=18, decimal_places=3)
MONEY = DecimalField(max_digits=28, decimal_places=8)
# Where a cancelled line's reason comes from (the order's until lines have their own).
REASON_PATH = "order__cancel_reason"


def cancelled_quantity():
    return Case(
        When(order__status="cancelled", then=F("quantity") - F("shipped_quantity")),
        default=F("cancelled_quantity"),
        output_field=QTY,
    )


def cancelled_value():
    return ExpressionWrapper(
        cancelled_quantity()
        * F("unit_price")
        * (Value(100) - F("discount_percent"))
        / Value(100)
        * F("order__exchange_rate"),
        output_field=MONEY,
    )


def cancelled_lines_q() -> Q:
    return Q(order__status="cancelled") | Q(cancelled_quantity__gt=0)


class CancellationsReport(GroupedReport):
    def __init__(self) -> None:
        super().__init__(
            name=ReportName.CANCELLATIONS,
            title=_("Cancellation reasons"),
            description=_(
                "Cancelled quantities and their net value in base currency by reason, product, "
                "product group, manager, customer and period of the order date: lines of "
                "cancelled orders and lines cancelled in part."
            ),
            dimensions={
                "reason": Dimension(
                    "reason",
                    _("Reason"),
                    f"{REASON_PATH}_id",
                    (f"{REASON_PATH}__name",),
                    None,
                    "reason",
                ),
                "product": Dimension(
                    "product",
                    _("Product"),
                    "product_id",
                    ("product__sku", "product__name"),
                    lambda sku, name: f"{sku} {name}",
                    "product",
                ),
                "product_group": Dimension(
                    "product_group",
                    _("Product group"),
                    "product__group_id",
                    ("product__group__name",),
                    None,
                    "product_group",
                ),
                "manager": manager_dimension("order__"),
                "customer": customer_dimension("order__"),
                "period": period_dimension("order__order_date"),
            },
            default_group_by=("reason",),
            default_sort=("-amount",),
            chart_measure="amount",
        )

    def filters(self) -> list[Param]:
        return [
            *order_filters(),
            Param("reason", "ref"),
            Param("product", "id"),
            Param("product_group", "ref"),
        ]

    def measures(self, params: Params) -> list[Column]:
        return [
            Column("lines", _("Lines"), "int"),
            Column("quantity", _("Cancelled quantity"), "qty"),
            Column("amount", _("Cancelled, net, base currency"), "money"),
        ]

    def base(self, user, params: Params) -> QuerySet:
        qs = OrderLine.objects.filter(scoped_orders(user, "order__")).filter(cancelled_lines_q())
        qs = apply_order_filters(qs, params, "order__")
        qs = apply_ref(qs, f"{REASON_PATH}_id", params.get("reason"))
        if params.get("product"):
            qs = qs.filter(product_id=params["product"])
        return apply_ref(qs, "product__group_id", params.get("product_group"))

    def aggregates(self, params: Params) -> dict[str, Any]:
        from django.db.models import Count

        return {
            "lines": Count("id"),
            "quantity": Sum(cancelled_quantity()),
            "amount": Sum(cancelled_value()),
        }


REPORT = CancellationsReport()


def lines_in(user, params: Params) -> QuerySet[OrderLine]:
    return (
        REPORT.base(user, params)
        .annotate(report_quantity=cancelled_quantity(), report_amount=cancelled_value())
        .select_related("order", "order__customer", "order__cancel_reason", "product")
        .order_by("-order__order_date", "order_id", "position")
    )
