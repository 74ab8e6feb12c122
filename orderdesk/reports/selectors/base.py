"""What every report has: parameters, groupings, columns, rows, totals, drill-down, chart.

A report is one aggregate query: the rows it may read (scoped to the user), grouped by the
chosen dimensions, with its measures summed, sorted in the database. Rows are produced as an
iterator (`iter_rows`), so exports stream with flat memory; pages and the API take a slice.
Labels (a manager's name, a customer's short name) come in the same query, not one query per
row.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections, transaction
from django.db.models import DateField, F, Func, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .. import calculations as calc
from ..choices import SLUG_OF, Period
from ..params import Param, Params, check_sort, parse
from ..routers import report_database

TRUNC = {Period.DAY: TruncDay, Period.WEEK: TruncWeek, Period.MONTH: TruncMonth}
ITERATOR_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str  # dim | int | money | qty | percent | text | date
    total: bool = True  # summed in the totals row (measures)

    @property
    def is_measure(self) -> bool:
        return self.kind != "dim"


def person(first: str | None, last: str | None, username: str | None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or (username or "—")


@dataclass(frozen=True)
class Dimension:
    """A way to group: `id_path` is what rows group and filter by, `label_paths` what the row
    shows (fetched in the same query), `label` turns those values into text."""

    key: str
    title: Any
    id_path: str
    label_paths: tuple[str, ...] = ()
    label: Callable[..., str] | None = None
    filter_name: str | None = None  # the report filter a drill-down sets from this dimension

    def text(self, values: list[Any]) -> str:
        if self.label is not None:
            return self.label(*values)
        if values:
            return "" if values[0] is None else str(values[0])
        return ""


def manager_dimension(prefix: str, filter_name: str = "manager") -> Dimension:
    return Dimension(
        "manager",
        _("Manager"),
        f"{prefix}manager_id",
        (
            f"{prefix}manager__first_name",
            f"{prefix}manager__last_name",
            f"{prefix}manager__username",
        ),
        person,
        filter_name,
    )


def customer_dimension(prefix: str) -> Dimension:
    return Dimension(
        "customer",
        _("Customer"),
        f"{prefix}customer_id",
        (f"{prefix}customer__short_name",),
        None,
        "customer",
    )


def product_dimension(line: str) -> Dimension:
    """The product, seen from a row that reaches the order line by `line` ("" or "line__")."""
    return Dimension(
        "product",
        _("Product"),
        f"{line}product_id",
        (f"{line}product__sku", f"{line}product__name"),
        lambda sku, name: f"{sku} {name}",
        "product",
    )


def product_group_dimension(line: str) -> Dimension:
    return Dimension(
        "product_group",
        _("Product group"),
        f"{line}product__group_id",
        (f"{line}product__group__name",),
        None,
        "product_group",
    )


def period_dimension(date_path: str) -> Dimension:
    return Dimension("period", _("Period"), date_path, (), None, None)


@dataclass
class Report(ABC):
    """One report: its parameters, dimensions and measures; subclasses give the queries
    (`measures`, `iter_rows`, `totals` are abstract: a report missing one cannot be made)."""

    name: str = ""
    title: Any = ""
    description: Any = ""
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    default_group_by: tuple[str, ...] = ()
    default_sort: tuple[str, ...] = ()
    chart_measure: str | None = None

    # --- parameters ---------------------------------------------------------------------

    def spec(self) -> list[Param]:
        return [
            Param("group_by", "choices", tuple(self.dimensions)),
            Param("sort", "sort"),
            *self.filters(),
        ]

    def filters(self) -> list[Param]:
        return []

    def parse(self, raw) -> Params:
        params = parse(self.name, self.spec(), raw)
        if not params.get("group_by"):
            params.values["group_by"] = list(self.default_group_by)
        self.prepare(params)
        check_sort(params, [c.key for c in self.columns(params)])
        return params

    def prepare(self, params: Params) -> None:  # noqa: B027 - an optional hook, not abstract
        """Fill defaults that depend on other parameters (subclasses)."""

    @property
    def slug(self) -> str:
        return SLUG_OF[self.name]

    # --- shape ----------------------------------------------------------------------------

    def group_by(self, params: Params) -> list[str]:
        return list(params.get("group_by") or self.default_group_by)

    @abstractmethod
    def measures(self, params: Params) -> list[Column]:
        """The figures' columns (after the dimensions')."""

    def columns(self, params: Params) -> list[Column]:
        dims = [Column(d, self.dimensions[d].title, "dim") for d in self.group_by(params)]
        return dims + self.measures(params)

    # --- data -----------------------------------------------------------------------------

    @abstractmethod
    def iter_rows(
        self,
        user,
        params: Params,
        *,
        limit: int | None = None,
        offset: int = 0,
        stream: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The rows, sorted. `stream` (exports): read through a server-side cursor in chunks,
        so memory stays flat however many rows there are."""

    def rows(self, user, params: Params, *, limit: int | None = None, offset: int = 0):
        """A list of rows (a slice for pages and the API)."""
        out = []
        for i, row in enumerate(self.iter_rows(user, params, limit=limit, offset=offset)):
            if limit is not None and i >= limit:
                break
            out.append(row)
        return out

    @abstractmethod
    def totals(self, user, params: Params) -> dict[str, Any]:
        """The totals row: every measure over all the rows the parameters select."""

    # --- links ----------------------------------------------------------------------------

    def drill_params(self, row: dict[str, Any], params: Params) -> dict[str, str]:
        """The report's own filters narrowed to one row (what its drill-down lists)."""
        query = {k: v for k, v in params.query.items() if k not in ("group_by", "sort")}
        for key in self.group_by(params):
            dim = self.dimensions[key]
            value = row.get(key)
            if key == "period":
                start = row.get("period")
                if start is None:
                    continue
                end = period_end(start, params.get("period") or Period.MONTH)
                lo, hi = params.get("date_from"), params.get("date_to")
                query["date_from"] = max(start, lo).isoformat() if lo else start.isoformat()
                query["date_to"] = min(end, hi).isoformat() if hi else end.isoformat()
            elif dim.filter_name:
                query[dim.filter_name] = "none" if value is None else str(value)
        return query

    def drill_url(self, row: dict[str, Any], params: Params) -> str:
        return (
            reverse("reports:drill", args=[self.slug])
            + "?"
            + urlencode(self.drill_params(row, params))
        )

    def chart(self, rows: list[dict[str, Any]], params: Params) -> dict[str, Any] | None:
        """Chart.js data: one bar per row (by its label), the report's main measure."""
        if not self.chart_measure or not rows:
            return None
        dims = self.group_by(params)
        labels = [" · ".join(str(r.get(f"{d}_label", "")) for d in dims) for r in rows[:60]]
        measure = next(c for c in self.measures(params) if c.key == self.chart_measure)
        return {
            "type": "bar",
            "labels": labels,
            "datasets": [
                {
                    "label": str(measure.label),
                    "data": [float(r[measure.key] or 0) for r in rows[:60]],
                }
            ],
        }


def period_start(path: str, period: str | None):
    """The first day of the period of a date column, as a date.

    On PostgreSQL DATE_TRUNC(..)::date: a plain date per row, where Django's Trunc of a date
    gives a time-zone-aware timestamp that is converted back row by row (a fifth of the
    time of a report by product and month went there)."""
    kind = period if period in TRUNC else Period.MONTH
    if connections[report_database()].vendor == "postgresql":
        return Func(
            F(path),
            template=f"DATE_TRUNC('{kind}', %(expressions)s)::date",
            output_field=DateField(),
        )
    return TRUNC[kind](path, output_field=DateField())


def period_end(start: dt.date, period: str) -> dt.date:
    if period == Period.MONTH:
        nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)
    if period == Period.WEEK:
        return start + dt.timedelta(days=6)
    return start


def as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class GroupedRows(Report):
    """Rows grouped by the chosen dimensions (`g_<key>`, labels `g_<key>_<i>`) with measures
    (`m_<key>`), sorted: the columns, the sort and the shaping of result rows into report
    rows. Where the rows come from is the subclass's (`GroupedReport`: one queryset)."""

    def derived(self, params: Params) -> dict[str, Any]:
        """Expressions over the aggregates (m_margin = m_revenue - m_cost), sortable in SQL."""
        return {}

    def finish(self, row: dict[str, Any], params: Params) -> None:
        """Round and complete one row in Python (percentages)."""

    def _grouping(self, params: Params) -> tuple[dict[str, Any], list[str]]:
        annotations: dict[str, Any] = {}
        names: list[str] = []
        for key in self.group_by(params):
            dim = self.dimensions[key]
            if key == "period":
                annotations["g_period"] = period_start(dim.id_path, params.get("period"))
                names.append("g_period")
                continue
            expr = self.dimension_expression(key, params)
            annotations[f"g_{key}"] = expr if expr is not None else F(dim.id_path)
            names.append(f"g_{key}")
            for i, path in enumerate(dim.label_paths):
                annotations[f"g_{key}_{i}"] = F(path)
                names.append(f"g_{key}_{i}")
        return annotations, names

    def dimension_expression(self, key: str, params: Params):
        return None

    def _order_by(self, params: Params) -> list[str]:
        keys = params.get("sort") or list(self.default_sort) or self.group_by(params)
        out = []
        measures = {c.key for c in self.measures(params)}
        for key in keys:
            desc, name = key.startswith("-"), key.lstrip("-")
            if name in measures:
                field_name = f"m_{name}"
            elif name in self.dimensions:
                dim = self.dimensions[name]
                field_name = f"g_{name}_0" if dim.label_paths else f"g_{name}"
            else:
                continue
            out.append(("-" if desc else "") + field_name)
        # a stable order whatever the sort: the grouping itself
        for key in self.group_by(params):
            name = f"g_{key}"
            if name not in out and f"-{name}" not in out:
                out.append(name)
        return out

    def shape(self, raw: dict[str, Any], params: Params) -> dict[str, Any]:
        return self.shaper(params)(raw)

    def convert(self, key: str, value: Any) -> Any:
        """A dimension's value as rows carry it (subclasses: a state's index -> its code)."""
        return value

    def shaper(self, params: Params) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """A function turning one result row into a report row, prepared once per query
        (rows can be many: nothing is looked up per row that can be looked up before, and
        the labels of periods are made once per period)."""
        period = params.get("period") or Period.MONTH
        period_labels: dict[Any, tuple[dt.date | None, str]] = {}
        converts = type(self).convert is not GroupedRows.convert
        dims = []
        for key in self.group_by(params):
            dim = self.dimensions[key]
            labels = tuple(f"g_{key}_{i}" for i in range(len(dim.label_paths)))
            dims.append((key, f"g_{key}", f"{key}_label", labels))
        measures = [(c.key, f"m_{c.key}", ROUNDING[c.kind]) for c in self.measures(params)]
        label_of, convert, finish = self.label_of, self.convert, self.finish

        def period_of(value: Any) -> tuple[dt.date | None, str]:
            known = period_labels.get(value)
            if known is None:
                start = as_date(value)
                known = period_labels[value] = (start, calc.period_label(start, period))
            return known

        def shape(raw: dict[str, Any]) -> dict[str, Any]:
            row: dict[str, Any] = {}
            for key, name, label_key, labels in dims:
                value = raw[name]
                if key == "period":
                    row["period"], row["period_label"] = period_of(value)
                    continue
                if converts:
                    value = convert(key, value)
                row[key] = value
                row[label_key] = label_of(key, value, [raw[n] for n in labels])
            for key, name, rounding in measures:
                if name in raw:
                    row[key] = rounding(raw[name])
            finish(row, params)
            return row

        return shape

    def label_of(self, key: str, value: Any, labels: list[Any]) -> str:
        dim = self.dimensions[key]
        if value is None:
            return str(_("(none)"))
        return dim.text(labels) if dim.label_paths else str(value)

    def complete_totals(self, row: dict[str, Any], params: Params) -> None:
        self.finish(row, params)


class GroupedReport(GroupedRows):
    """A report that is one GROUP BY over a queryset (`base`) with summed `aggregates`."""

    @abstractmethod
    def base(self, user, params: Params) -> QuerySet:
        """The rows the report may read: scoped to the user, narrowed by the filters."""

    @abstractmethod
    def aggregates(self, params: Params) -> dict[str, Any]:
        """{column key: aggregate}; in SQL each is named `m_<key>`, so that a measure named
        like a model field (quantity) never shadows the field in another expression."""

    def _measures(self, params: Params) -> dict[str, Any]:
        return {f"m_{key}": agg for key, agg in self.aggregates(params).items()}

    def queryset(self, user, params: Params) -> QuerySet:
        annotations, names = self._grouping(params)
        qs = self.base(user, params).using(report_database())
        qs = qs.annotate(**annotations).values(*names).annotate(**self._measures(params))
        order = self._order_by(params)
        # expressions over the aggregates only when the sort needs them (rows get them in
        # Python), so the database computes no more than the figures
        wanted = {k.lstrip("-") for k in order}
        derived = {k: v for k, v in self.derived(params).items() if k in wanted}
        if derived:
            qs = qs.annotate(**derived)
        return qs.order_by(*order)

    def iter_rows(self, user, params: Params, *, limit=None, offset=0, stream=False):
        qs = self.queryset(user, params)
        shape = self.shaper(params)
        if limit is not None:
            qs = qs[offset : offset + limit]
        yield from (shape(raw) for raw in fetch(qs, stream=stream))

    def totals(self, user, params: Params) -> dict[str, Any]:
        qs = self.base(user, params).using(report_database())
        raw = qs.aggregate(**self._measures(params))
        row = {}
        for column in self.measures(params):
            if f"m_{column.key}" in raw:
                row[column.key] = ROUNDING[column.kind](raw[f"m_{column.key}"])
        self.complete_totals(row, params)
        return row


def _percent(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


ROUNDING: dict[str, Callable[[Any], Any]] = {
    "money": calc.money,
    "qty": calc.quantity,
    "int": lambda value: int(value or 0),
    "percent": _percent,
    "text": lambda value: value,
    "date": lambda value: value,
}


# Memory per sort or hash of a report query (PostgreSQL's work_mem, for the report's own
# transaction only): a report groups hundreds of thousands of lines, and with the server's
# default (4MB) every grouping and sort spills to disk. Override with
# ORDERDESK["REPORTS_WORK_MEM"].
REPORTS_WORK_MEM = "64MB"


def report_session(connection, *, streaming: bool = False) -> None:
    """Settings for the report query in the current transaction (PostgreSQL, SET LOCAL)."""
    if connection.vendor != "postgresql":
        return
    from django.conf import settings

    work_mem = settings.ORDERDESK.get("REPORTS_WORK_MEM", REPORTS_WORK_MEM)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        if streaming:
            # plan for reading every row, not the first tenth (a server-side cursor's default)
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1")


def fetch(qs: QuerySet, *, stream: bool = False) -> Iterator[dict[str, Any]]:
    """The rows of a `values()` queryset as dicts.

    On PostgreSQL the query the ORM built runs in a read transaction with the reports'
    session settings (`report_session`), through the DB-API cursor, its rows zipped with the
    column names: the report's shaper rounds and labels every value anyway, and Django's
    per-value converters (a fifth of the time of a report with thousands of rows) are not
    needed for numerics, dates and texts psycopg already returns typed. `stream` reads
    through a server-side cursor in chunks (not WITH HOLD inside the transaction, which
    would first copy the whole result). On SQLite, Django's own iteration (it converts
    SQLite's text and floats), chunked when streaming."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        yield from (qs.iterator(chunk_size=ITERATOR_CHUNK) if stream else qs)
        return
    sql, params = qs.query.sql_with_params()
    yield from fetch_sql(qs.db, sql, params, stream=stream)


def fetch_sql(
    alias: str, sql: str, params: Any, *, stream: bool = False
) -> Iterator[dict[str, Any]]:
    """The rows of SQL composed from ORM queries (`%s` parameters) as dicts, read as `fetch`
    reads a queryset. On SQLite, where no converter runs, a float (SQLite sums decimals in
    floating point) comes back as the Decimal of its shortest text, as Django's would."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [d[0] for d in cursor.description]
            while rows := cursor.fetchmany(ITERATOR_CHUNK):
                for row in rows:
                    yield {
                        n: Decimal(repr(v)) if v.__class__ is float else v
                        for n, v in zip(names, row, strict=True)
                    }
        return
    if not stream:
        with transaction.atomic(using=alias):
            report_session(connection)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                names = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
        for row in rows:
            yield dict(zip(names, row, strict=True))
        return
    with transaction.atomic(using=alias):
        report_session(connection, streaming=True)
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            names = [d[0] for d in cursor.description]
            while rows := cursor.fetchmany(ITERATOR_CHUNK):
                for row in rows:
                    yield dict(zip(names, row, strict=True))
