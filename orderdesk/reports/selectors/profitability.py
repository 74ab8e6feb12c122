"""Profitability: revenue, cost, gross margin and margin % with the discounts granted beside
them, by manager, order, product, product group, customer and period. Base currency.

Two bases (`basis`):

- `shipped` (default): what left the warehouse, from the order lines. Revenue = shipped
  quantity x net unit price after discount (unit price x (1 - discount)) x the order's rate;
  cost = the line's cost of shipped goods (each shipment adds its quantity x the product's
  cost on the shipment date, base currency: `OrderLine.shipped_cost`); discount = shipped
  quantity x unit price x discount x rate. The period is the order date.
- `invoiced`: what was invoiced, from posted shipment and order invoices (a prepayment
  invoice asks for money, it sells nothing) less posted credit notes for returns and for
  cancelled lines of an order invoice. Revenue = the document line's net x the document's
  rate; cost = its quantity x the order line's average cost at shipment (shipped cost /
  shipped quantity; the cost at entry when nothing shipped yet). The period is the document
  date.

Amounts are summed unrounded per line and rounded once per row of the report.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from orderdesk.billing.models import (
    CreditNoteLine,
    CreditNoteReason,
    DocumentStatus,
    InvoiceKind,
    InvoiceLine,
)
from orderdesk.orders.models import OrderLine

from .. import calculations as calc
from ..choices import ProfitBasis, ReportName
from ..params import Param, Params
from ..routers import report_database
from .base import (
    Column,
    Dimension,
    GroupedReport,
    customer_dimension,
    manager_dimension,
    period_dimension,
    product_dimension,
    product_group_dimension,
)
from .common import apply_order_filters, apply_ref, order_filters, scoped_orders

MONEY = DecimalField(max_digits=28, decimal_places=8)
HUNDRED = Value(100)


def _dimensions(line: str, date_path: str) -> dict[str, Dimension]:
    """The groupings, seen from an order line reached by `line` ("" or "order_line__")."""
    order = f"{line}order__"
    return {
        "manager": manager_dimension(order),
        "order": Dimension(
            "order", _("Order"), f"{line}order_id", (f"{order}number",), None, "order"
        ),
        "product": product_dimension(line),
        "product_group": product_group_dimension(line),
        "customer": customer_dimension(order),
        "period": period_dimension(date_path),
    }


MEASURES = [
    Column("quantity", _("Quantity"), "qty"),
    Column("revenue", _("Revenue"), "money"),
    Column("cost", _("Cost"), "money"),
    Column("margin", _("Gross margin"), "money"),
    Column("margin_pct", _("Margin, %"), "percent", total=False),
    Column("discount", _("Discounts granted"), "money"),
]


def margin_pct_expression():
    return Case(
        When(m_revenue=0, then=Value(None)),
        default=ExpressionWrapper(F("m_margin") * HUNDRED / F("m_revenue"), output_field=MONEY),
        output_field=MONEY,
    )


class _LinesPart(GroupedReport):
    """One source of profitability rows: a line model with its path to the order line."""

    line_path = ""  # from the row model to the order line ("" or "order_line__")
    sign = 1

    def measures(self, params: Params) -> list[Column]:
        return MEASURES

    def derived(self, params: Params) -> dict[str, Any]:
        return {
            "m_margin": ExpressionWrapper(F("m_revenue") - F("m_cost"), output_field=MONEY),
            "m_margin_pct": margin_pct_expression(),
        }

    def finish(self, row: dict[str, Any], params: Params) -> None:
        if "revenue" in row:
            row["margin"] = row["revenue"] - row["cost"]
            row["margin_pct"] = calc.margin_percent(row["revenue"], row["margin"])

    def common_filters(self, qs: QuerySet, params: Params) -> QuerySet:
        line = self.line_path
        if params.get("product"):
            qs = qs.filter(**{f"{line}product_id": params["product"]})
        if params.get("order"):
            qs = qs.filter(**{f"{line}order_id": params["order"]})
        return apply_ref(qs, f"{line}product__group_id", params.get("product_group"))


class _Divide(Func):
    """a / b in exact numeric on PostgreSQL; on SQLite, which keeps whole decimals as integers
    and would divide them as integers, in floating point (its decimals are floats anyway)."""

    arg_joiner = " / "
    template = "(%(expressions)s)"
    output_field = DecimalField(max_digits=30, decimal_places=10)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(CAST(%(expressions)s))", arg_joiner=" AS REAL) / ("
        )


def _unit_cost(line: str):
    """A document line's cost per unit: the average cost at shipment of what its order line
    shipped, or — nothing shipped yet (an order invoice ahead of the goods) — the cost the
    line was entered with. Base currency."""
    return Case(
        When(
            **{f"{line}shipped_quantity__gt": 0},
            then=_Divide(F(f"{line}shipped_cost"), F(f"{line}shipped_quantity")),
        ),
        default=F(f"{line}cost_price"),
        output_field=DecimalField(max_digits=30, decimal_places=10),
    )


class ShippedLines(_LinesPart):
    """Revenue, cost and discounts of what shipped, from the order lines."""

    def __init__(self) -> None:
        super().__init__(
            name=ReportName.PROFITABILITY,
            dimensions=_dimensions("", "order__order_date"),
            default_group_by=("manager",),
            default_sort=("-revenue",),
        )

    def base(self, user, params: Params) -> QuerySet:
        qs = OrderLine.objects.filter(scoped_orders(user, "order__"), shipped_quantity__gt=0)
        qs = apply_order_filters(qs, params, "order__")
        return self.common_filters(qs, params)

    def aggregates(self, params: Params) -> dict[str, Any]:
        shipped, price, rate = F("shipped_quantity"), F("unit_price"), F("order__exchange_rate")
        disc = F("discount_percent")
        return {
            "quantity": Sum("shipped_quantity"),
            "revenue": Sum(
                ExpressionWrapper(shipped * price * (HUNDRED - disc) / HUNDRED * rate, MONEY)
            ),
            "cost": Sum("shipped_cost"),
            "discount": Sum(ExpressionWrapper(shipped * price * disc / HUNDRED * rate, MONEY)),
        }


class _DocumentLines(_LinesPart):
    line_path = "order_line__"
    doc = ""  # "invoice" | "credit_note"

    def __init__(self) -> None:
        super().__init__(
            name=ReportName.PROFITABILITY,
            dimensions=_dimensions("order_line__", f"{self.doc}__document_date"),
            default_group_by=("manager",),
        )

    @abstractmethod
    def documents(self) -> Q:
        """Which documents count (posted, of the kinds that sell)."""

    def base(self, user, params: Params) -> QuerySet:
        model = InvoiceLine if self.doc == "invoice" else CreditNoteLine
        d = self.doc
        qs = model.objects.filter(
            scoped_orders(user, "order_line__order__"),
            self.documents(),
            order_line__isnull=False,
        )
        if params.get("date_from"):
            qs = qs.filter(**{f"{d}__document_date__gte": params["date_from"]})
        if params.get("date_to"):
            qs = qs.filter(**{f"{d}__document_date__lte": params["date_to"]})
        # the order filters other than the dates
        order_only = Params(params.report, {**params.values, "date_from": None, "date_to": None})
        qs = apply_order_filters(qs, order_only, "order_line__order__")
        return self.common_filters(qs, params)

    def aggregates(self, params: Params) -> dict[str, Any]:
        rate, qty = F(f"{self.doc}__exchange_rate"), F("quantity")
        price, disc = F("unit_price"), F("discount_percent")
        return {
            "quantity": Sum("quantity"),
            "revenue": Sum(ExpressionWrapper(F("net_amount") * rate, MONEY)),
            "cost": Sum(ExpressionWrapper(qty * _unit_cost("order_line__"), MONEY)),
            "discount": Sum(ExpressionWrapper(qty * price * disc / HUNDRED * rate, MONEY)),
        }


class InvoicedLines(_DocumentLines):
    doc = "invoice"

    def documents(self) -> Q:
        return Q(
            invoice__status=DocumentStatus.POSTED,
            invoice__kind__in=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER],
        )


class CreditedLines(_DocumentLines):
    doc = "credit_note"

    def documents(self) -> Q:
        return Q(credit_note__status=DocumentStatus.POSTED) & (
            Q(credit_note__reason=CreditNoteReason.RETURN)
            | Q(
                credit_note__reason=CreditNoteReason.LINE_CANCELLED,
                credit_note__invoice__kind=InvoiceKind.ORDER,
            )
        )


class ProfitabilityReport(ShippedLines):
    """The report: the shipped basis by SQL; the invoiced basis merges invoices and credit
    notes by group in Python (credit notes are few)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = _("Profitability")
        self.description = _(
            "Revenue, cost, gross margin and margin % with the discounts granted, by manager, "
            "order, product, product group, customer and period: from shipped quantities "
            "(period: order date) or from invoiced ones (period: document date)."
        )
        self.chart_measure = "margin"
        self.invoiced = InvoicedLines()
        self.credited = CreditedLines()

    def filters(self) -> list[Param]:
        return [
            *order_filters(),
            Param("product", "id"),
            Param("product_group", "ref"),
            Param("order", "id"),
            Param("basis", "choice", tuple(ProfitBasis.values), ProfitBasis.SHIPPED),
        ]

    def _invoiced(self, params: Params) -> bool:
        return params.get("basis") == ProfitBasis.INVOICED

    def iter_rows(
        self, user, params: Params, *, limit=None, offset=0, stream=False
    ) -> Iterator[dict]:
        if not self._invoiced(params):
            yield from super().iter_rows(user, params, limit=limit, offset=offset, stream=stream)
            return
        rows = self._merged(user, params)
        end = None if limit is None else offset + limit
        yield from rows[offset:end]

    def totals(self, user, params: Params) -> dict[str, Any]:
        if not self._invoiced(params):
            return super().totals(user, params)
        row = {k: Decimal(0) for k in ("quantity", "revenue", "cost", "discount")}
        for merged in self._merged(user, params):
            for k in row:
                row[k] += merged[k]
        self.finish(row, params)
        return row

    def _merged(self, user, params: Params) -> list[dict[str, Any]]:
        key = ("invoiced", user.pk)
        if key not in params.cache:
            params.cache[key] = self._merge(user, params)
        return params.cache[key]

    def _merge(self, user, params: Params) -> list[dict[str, Any]]:
        dims = self.group_by(params)
        merged: dict[tuple, dict[str, Any]] = {}
        for part, sign in ((self.invoiced, 1), (self.credited, -1)):
            for row in part.iter_rows(user, params):
                key = tuple(row.get(d) for d in dims)
                into = merged.get(key)
                if into is None:
                    into = {k: v for k, v in row.items() if k not in dict(MEASURES_BY_KEY)}
                    for k in ("quantity", "revenue", "cost", "discount"):
                        into[k] = Decimal(0)
                    merged[key] = into
                for k in ("quantity", "revenue", "cost", "discount"):
                    into[k] += sign * row[k]
        rows = list(merged.values())
        for row in rows:
            self.finish(row, params)
        sort_python(rows, params.get("sort") or list(self.default_sort), dims)
        return rows


MEASURES_BY_KEY = [(c.key, c) for c in MEASURES]


def sort_python(rows: list[dict[str, Any]], keys: list[str], dims: list[str]) -> None:
    """Sort rows in place by report sort keys (`-revenue`, `customer`), as SQL would."""
    for key in reversed([*keys, *dims]):
        desc, name = key.startswith("-"), key.lstrip("-")
        field_name = f"{name}_label" if name in dims and name != "period" else name

        def value(row, f=field_name):
            v = row.get(f)
            return (v is None, v if v is not None else 0)

        rows.sort(key=value, reverse=desc)


REPORT = ProfitabilityReport()


def lines_in(user, params: Params) -> QuerySet:
    """The lines behind a row (drill-down): order lines, or invoice lines on that basis."""
    if params.get("basis") == ProfitBasis.INVOICED:
        return (
            REPORT.invoiced.base(user, params)
            .using(report_database())
            .select_related("invoice", "order_line__order", "order_line__product")
            .order_by("-invoice__document_date", "invoice_id", "position")
        )
    shipped, price, rate = F("shipped_quantity"), F("unit_price"), F("order__exchange_rate")
    return (
        REPORT.base(user, params)
        .using(report_database())
        .annotate(
            report_revenue=ExpressionWrapper(
                shipped * price * (HUNDRED - F("discount_percent")) / HUNDRED * rate, MONEY
            ),
            report_cost=F("shipped_cost"),
        )
        .select_related("order", "order__customer", "product")
        .order_by("-order__order_date", "order_id", "position")
    )
