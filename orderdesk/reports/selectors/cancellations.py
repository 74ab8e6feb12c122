"""Cancellation reasons: what was cancelled (quantity and net value in base currency) and
why, by reason, product, product group, manager, customer and period (the order date).

Two kinds of cancellation count, each with its own reason:

- a line cancellation (`fulfillment.LineCancellation`: a quantity of one line, a reason from
  the catalogue, who and when), of any order — a cancelled one included;
- a cancelled order: what was still open on each of its lines when it was cancelled — the
  quantity less what shipped less what had been cancelled by line before — with the
  order's `cancel_reason`.

So a line cancelled in part and then its order cancelled counts the part with the line's
reason and the rest with the order's, never the same quantity twice. `OrderLine
.cancelled_quantity` is the running sum of the line's cancellations; the report reads the
cancellations themselves, since they carry the reason.

Value = cancelled quantity x unit price x (1 - discount) x the order's exchange rate.
"Lines" counts the order lines touched (a line cancelled twice for one reason is one line).

The report is one query: the two kinds are read by the ORM as rows of the same columns
(grouping values and labels, line, quantity, value), put together with UNION ALL and
grouped once, so sorting, paging and streaming happen in the database as in every report.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from orderdesk.fulfillment.models import LineCancellation
from orderdesk.orders.models import OrderLine

from ..choices import ReportName
from ..params import Param, Params
from ..routers import report_database
from .base import (
    ROUNDING,
    Column,
    Dimension,
    GroupedReport,
    GroupedRows,
    customer_dimension,
    fetch_sql,
    manager_dimension,
    period_dimension,
    product_dimension,
    product_group_dimension,
)
from .common import apply_order_filters, apply_ref, order_filters, scoped_orders

QTY = DecimalField(max_digits=18, decimal_places=3)
MONEY = DecimalField(max_digits=28, decimal_places=8)
HUNDRED = Value(100)
# the columns each kind gives per cancellation, beside the grouping's
ENTRY = ("u_line", "u_quantity", "u_amount")


def _dimensions(line: str, reason: str) -> dict[str, Dimension]:
    """The groupings, seen from a row that reaches the order line by `line` ("" or
    "line__") and the reason by `reason`."""
    return {
        "reason": Dimension(
            "reason", _("Reason"), f"{reason}_id", (f"{reason}__name",), None, "reason"
        ),
        "product": product_dimension(line),
        "product_group": product_group_dimension(line),
        "manager": manager_dimension("order__"),
        "customer": customer_dimension("order__"),
        "period": period_dimension("order__order_date"),
    }


def net_value(quantity, line: str = ""):
    """`quantity` of the line reached by `line` at its net price, in base currency."""
    return ExpressionWrapper(
        quantity
        * F(f"{line}unit_price")
        * (HUNDRED - F(f"{line}discount_percent"))
        / HUNDRED
        * F("order__exchange_rate"),
        output_field=MONEY,
    )


def order_rest():
    """What a cancelled order's line still had open: ordered - shipped - cancelled by line."""
    return ExpressionWrapper(
        F("quantity") - F("shipped_quantity") - F("cancelled_quantity"), output_field=QTY
    )


def order_rest_q(prefix: str = "") -> Q:
    """Lines of cancelled orders with something left open when the order was cancelled."""
    return Q(
        **{
            f"{prefix}order__status": "cancelled",
            f"{prefix}quantity__gt": F(f"{prefix}shipped_quantity")
            + F(f"{prefix}cancelled_quantity"),
        }
    )


class _Kind(GroupedReport):
    """One kind of cancellation: its rows, filtered, with the report's grouping columns."""

    line = ""  # from the row to the order line
    reason = ""  # from the row to the reason

    def __init__(self) -> None:
        super().__init__(
            name=ReportName.CANCELLATIONS, dimensions=_dimensions(self.line, self.reason)
        )

    def measures(self, params: Params) -> list[Column]:
        return MEASURES

    def aggregates(self, params: Params) -> dict[str, Any]:
        entry = self.entry()
        return {
            "lines": Count(entry["u_line"], distinct=True),
            "quantity": Sum(entry["u_quantity"]),
            "amount": Sum(entry["u_amount"]),
        }

    @abstractmethod
    def entry(self) -> dict[str, Any]:
        """{u_line, u_quantity, u_amount}: the line, the cancelled quantity and its value."""

    def filtered(self, qs: QuerySet, params: Params) -> QuerySet:
        qs = apply_order_filters(qs, params, "order__")
        qs = apply_ref(qs, f"{self.reason}_id", params.get("reason"))
        if params.get("product"):
            qs = qs.filter(**{f"{self.line}product_id": params["product"]})
        return apply_ref(qs, f"{self.line}product__group_id", params.get("product_group"))

    def entries(self, user, params: Params, *, grouped: bool = True) -> QuerySet:
        """One row per cancellation: the grouping's columns (when `grouped`) and ENTRY."""
        annotations, names = self._grouping(params) if grouped else ({}, [])
        return (
            self.base(user, params)
            .using(report_database())
            .annotate(**annotations)
            .values(*names, **self.entry())
            .order_by()
        )


class LineCancellations(_Kind):
    line, reason = "line__", "reason"

    def base(self, user, params: Params) -> QuerySet:
        qs = LineCancellation.objects.filter(scoped_orders(user, "order__"))
        return self.filtered(qs, params)

    def entry(self) -> dict[str, Any]:
        return {
            "u_line": F("line_id"),
            "u_quantity": F("quantity"),
            "u_amount": net_value(F("quantity"), "line__"),
        }


class CancelledOrders(_Kind):
    line, reason = "", "order__cancel_reason"

    def base(self, user, params: Params) -> QuerySet:
        qs = OrderLine.objects.filter(scoped_orders(user, "order__"), order_rest_q())
        return self.filtered(qs, params)

    def entry(self) -> dict[str, Any]:
        return {"u_line": F("id"), "u_quantity": order_rest(), "u_amount": net_value(order_rest())}


MEASURES = [
    Column("lines", _("Lines"), "int"),
    Column("quantity", _("Cancelled quantity"), "qty"),
    Column("amount", _("Cancelled, net, base currency"), "money"),
]
# the measures over the entries, in SQL
OUTER = {
    "lines": "COUNT(DISTINCT {u_line})",
    "quantity": "SUM({u_quantity})",
    "amount": "SUM({u_amount})",
}


class CancellationsReport(GroupedRows):
    """Line cancellations and cancelled orders' open rest, grouped together (UNION ALL)."""

    def __init__(self) -> None:
        super().__init__(
            name=ReportName.CANCELLATIONS,
            title=_("Cancellation reasons"),
            description=_(
                "Cancelled quantities and their net value in base currency by reason, product, "
                "product group, manager, customer and period of the order date: line "
                "cancellations with their reasons, and what cancelled orders still had open "
                "with the order's reason."
            ),
            dimensions=_dimensions("", "reason"),
            default_group_by=("reason",),
            default_sort=("-amount",),
            chart_measure="amount",
        )
        self.kinds: tuple[_Kind, ...] = (LineCancellations(), CancelledOrders())

    def filters(self) -> list[Param]:
        return [
            *order_filters(),
            Param("reason", "ref"),
            Param("product", "id"),
            Param("product_group", "ref"),
        ]

    def measures(self, params: Params) -> list[Column]:
        return MEASURES

    def sql(
        self, user, params: Params, *, grouped: bool = True, limit=None, offset: int = 0
    ) -> tuple[str, list[Any]]:
        """SELECT <grouping>, <measures> FROM (<kind 1> UNION ALL <kind 2>) GROUP BY ...
        ORDER BY ... [LIMIT]; without `grouped`, the totals."""
        quote = connections[report_database()].ops.quote_name
        names = self._grouping(params)[1] if grouped else []
        columns = ", ".join(quote(n) for n in (*names, *ENTRY))
        parts, args = [], []
        for i, kind in enumerate(self.kinds):
            inner, inner_args = kind.entries(user, params, grouped=grouped).query.sql_with_params()
            parts.append(f"SELECT {columns} FROM ({inner}) k{i}")
            args.extend(inner_args)
        entry = {n: quote(n) for n in ENTRY}
        measures = [f"{OUTER[c.key].format(**entry)} AS {quote('m_' + c.key)}" for c in MEASURES]
        sql = f"SELECT {', '.join([*(quote(n) for n in names), *measures])} FROM ("
        sql += " UNION ALL ".join(parts) + ") cancellations"
        if names:
            sql += f" GROUP BY {', '.join(quote(n) for n in names)}"
            order = [
                f"{quote(k.lstrip('-'))} {'DESC' if k.startswith('-') else 'ASC'}"
                for k in self._order_by(params)
            ]
            sql += f" ORDER BY {', '.join(order)}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return sql, args

    def iter_rows(
        self, user, params: Params, *, limit=None, offset=0, stream=False
    ) -> Iterator[dict[str, Any]]:
        sql, args = self.sql(user, params, limit=limit, offset=offset)
        shape = self.shaper(params)
        yield from (shape(raw) for raw in fetch_sql(report_database(), sql, args, stream=stream))

    def totals(self, user, params: Params) -> dict[str, Any]:
        sql, args = self.sql(user, params, grouped=False)
        raw = next(fetch_sql(report_database(), sql, args))
        row = {c.key: ROUNDING[c.kind](raw[f"m_{c.key}"]) for c in MEASURES}
        self.complete_totals(row, params)
        return row


REPORT = CancellationsReport()


def lines_in(user, params: Params) -> QuerySet[OrderLine]:
    """The order lines behind a row (drill-down), one per line as the row's "lines" counts
    them. `report_quantity` and `report_amount` are what the row counts of the line: its
    cancellations within the filters (prefetched as `row_cancellations`, with their
    reasons) and, when `row_order_rest`, what was open when its order was cancelled."""
    line_kind, order_kind = REPORT.kinds
    cancellations = line_kind.filtered(LineCancellation.objects.filter(line=OuterRef("pk")), params)
    cancelled_sum = Subquery(
        cancellations.order_by().values("line").annotate(s=Sum("quantity")).values("s"),
        output_field=QTY,
    )
    rest = order_kind.filtered(OrderLine.objects.filter(order_rest_q(), pk=OuterRef("pk")), params)
    qs = (
        OrderLine.objects.filter(scoped_orders(user, "order__"))
        .annotate(row_order_rest=Exists(rest))
        .filter(Q(row_order_rest=True) | Exists(cancellations))
        .annotate(
            report_quantity=ExpressionWrapper(
                Case(
                    When(row_order_rest=True, then=order_rest()),
                    default=Value(0),
                    output_field=QTY,
                )
                + Coalesce(cancelled_sum, Value(0), output_field=QTY),
                output_field=QTY,
            )
        )
        .annotate(report_amount=net_value(F("report_quantity")))
    )
    shown = line_kind.filtered(LineCancellation.objects.all(), params)
    return (
        qs.using(report_database())
        .select_related("order", "order__customer", "order__cancel_reason", "product")
        .prefetch_related(
            Prefetch(
                "cancellations",
                queryset=shown.select_related("reason").order_by("created_at", "pk"),
                to_attr="row_cancellations",
            )
        )
        .order_by("-order__order_date", "order_id", "position")
    )
