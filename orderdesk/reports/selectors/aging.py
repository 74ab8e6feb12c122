"""Receivables aging: what customers owe, by how many days it is overdue, as of a date.

Rows per customer (and/or contract, the customer's manager, currency); columns are the
buckets (current = not yet due, then days overdue up to each bound, then "over"), the total
owed, the overdue part, the customers' unapplied credit and the balance. Amounts are in base
currency (the open part valued at the item's posting rate) unless the rows are grouped by
currency, then in that currency.

**Today (or later)**: the stored `open_amount` of each ledger item, read over the partial
index of open items (`open_amount > 0`) — no recomputation from payments.

**A past date D**: a replay of the ledger. An item counts when posted on or before D; its
open amount on D is its amount less the allocations dated on or before D that were not
undone by then. The report computes that from the stored state backwards, which gives the
same figure with far fewer rows read:

    open(D) = open_now + (allocations in force now, dated after D)
                       - (allocations dated on or before D, undone after D)

(because open_now = amount - allocations in force now). So it reads the open items (the
partial index again) plus the allocations made or undone after D, and nothing older. A
payment that arrives later adds an allocation dated after D and lowers open_now by the same
amount: the figures for D do not move. The tests check both properties against the plain
replay (`receivables.selectors.items_as_of` and a hand-written SQL query).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from orderdesk.core.errors import ValidationFailed
from orderdesk.customers.selectors import customer_scope
from orderdesk.receivables.models import Allocation, OpenItem, Side

from .. import calculations as calc
from ..choices import ReportName
from ..params import Param, Params
from ..permissions import require_reports
from ..routers import report_database
from .base import Column, Dimension, Report, fetch, person
from .common import apply_ref
from .profitability import sort_python

MONEY = DecimalField(max_digits=28, decimal_places=8)
FIGURES = ("total", "overdue", "credit")


def _dims(p: str) -> dict[str, Dimension]:
    """Groupings seen from a ledger item reached by `p` ("" or "debit__"/"credit__")."""
    return {
        "customer": Dimension(
            "customer",
            _("Customer"),
            f"{p}customer_id",
            (f"{p}customer__short_name",),
            None,
            "customer",
        ),
        "contract": Dimension(
            "contract",
            _("Contract"),
            f"{p}contract_id",
            (f"{p}contract__number",),
            None,
            "contract",
        ),
        "manager": Dimension(
            "manager",
            _("Manager"),
            f"{p}customer__manager_id",
            (
                f"{p}customer__manager__first_name",
                f"{p}customer__manager__last_name",
                f"{p}customer__manager__username",
            ),
            person,
            "manager",
        ),
        "currency": Dimension("currency", _("Currency"), f"{p}currency_id", (), None, "currency"),
    }


class AgingReport(Report):
    def __init__(self) -> None:
        super().__init__(
            name=ReportName.AGING,
            title=_("Receivables aging"),
            description=_(
                "Open amounts per customer (contract, manager, currency) by days overdue, as of "
                "today or any past date; base currency unless grouped by currency."
            ),
            dimensions=_dims(""),
            default_group_by=("customer",),
            default_sort=("-overdue",),
            chart_measure="overdue",
        )

    def filters(self) -> list[Param]:
        return [
            Param("as_of", "date"),
            Param("buckets", "int_list"),
            Param("customer", "id"),
            Param("manager", "id"),
            Param("contract", "ref"),
            Param("currency", "text"),
            Param("bucket", "text"),
        ]

    def prepare(self, params: Params) -> None:
        params.values["as_of"] = params.get("as_of") or timezone.localdate()
        params.values["buckets"] = params.get("buckets") or list(calc.DEFAULT_BUCKETS)
        bucket = params.get("bucket")
        if bucket and bucket not in [b.key for b in self.buckets(params)]:
            raise ValidationFailed(
                _t("No bucket “%(b)s” with these bounds.") % {"b": bucket},
                code="filter_invalid",
                fields={"bucket": bucket},
            )

    def buckets(self, params: Params) -> list[calc.Bucket]:
        return calc.make_buckets(params.get("buckets") or list(calc.DEFAULT_BUCKETS))

    def in_currency(self, params: Params) -> bool:
        return "currency" in self.group_by(params)

    def replayed(self, params: Params) -> bool:
        return params["as_of"] < timezone.localdate()

    def measures(self, params: Params) -> list[Column]:
        cols = [Column(b.key, bucket_title(b), "money") for b in self.buckets(params)]
        return [
            *cols,
            Column("total", _("Total owed"), "money"),
            Column("overdue", _("Overdue"), "money"),
            Column("credit", _("Unapplied credit"), "money"),
            Column("balance", _("Balance"), "money"),
        ]

    # --- queries ------------------------------------------------------------------------

    def _scope(self, user, qs: QuerySet, p: str, params: Params) -> QuerySet:
        require_reports(user)
        qs = qs.filter(customer_scope(user, f"{p}customer__"))
        if params.get("customer"):
            qs = qs.filter(**{f"{p}customer_id": params["customer"]})
        if params.get("manager"):
            qs = qs.filter(**{f"{p}customer__manager_id": params["manager"]})
        qs = apply_ref(qs, f"{p}contract_id", params.get("contract"))
        if params.get("currency"):
            qs = qs.filter(**{f"{p}currency_id": str(params["currency"]).upper()})
        bucket = params.get("bucket")
        if bucket:
            qs = qs.filter(self._bucket_q(bucket, params, p))
        return qs.using(report_database())

    def _bucket_q(self, key: str, params: Params, p: str) -> Q:
        b = next(b for b in self.buckets(params) if b.key == key)
        earliest, latest = calc.bucket_due_range(b, params["as_of"])
        if b.key == "current":
            return Q(**{f"{p}due_date__gte": earliest}) | Q(**{f"{p}due_date__isnull": True})
        q = Q(**{f"{p}due_date__lte": latest})
        if earliest is not None:
            q &= Q(**{f"{p}due_date__gte": earliest})
        return q

    def _sums(self, params: Params, p: str, amount, side: str | None) -> dict[str, Any]:
        """SUM(CASE ...) per bucket for debits and one for credits, of `amount`."""
        sums: dict[str, Any] = {}
        debit = Q(**{f"{p}side": Side.DEBIT}) if side is None else Q()
        if side in (None, Side.DEBIT):
            for b in self.buckets(params):
                sums[b.key] = Sum(
                    Case(
                        When(debit & self._bucket_q(b.key, params, p), then=amount),
                        default=Value(0),
                        output_field=MONEY,
                    )
                )
        if side in (None, Side.CREDIT):
            cond = Q(**{f"{p}side": Side.CREDIT}) if side is None else Q(pk__isnull=False)
            sums["credit"] = Sum(
                Case(When(cond, then=amount), default=Value(0), output_field=MONEY)
            )
        return sums

    def _grouped(self, qs: QuerySet, p: str, params: Params, sums: dict[str, Any]):
        dims = _dims(p)
        names, annotations = [], {}
        for key in self.group_by(params):
            dim = dims[key]
            annotations[f"g_{key}"] = F(dim.id_path)
            names.append(f"g_{key}")
            for i, path in enumerate(dim.label_paths):
                annotations[f"g_{key}_{i}"] = F(path)
                names.append(f"g_{key}_{i}")
        return qs.annotate(**annotations).values(*names).annotate(**sums).order_by()

    def stored_part(self, user, params: Params):
        """Open items as they stand (the partial index), posted by the date."""
        qs = OpenItem.objects.filter(open_amount__gt=0, posting_date__lte=params["as_of"])
        qs = self._scope(user, qs, "", params)
        amount = F("open_amount") if self.in_currency(params) else _base(F("open_amount"), "rate")
        return self._grouped(qs, "", params, self._sums(params, "", amount, None))

    def replay_parts(self, user, params: Params):
        """What the allocations made or undone after D change (see the module's formula)."""
        day = params["as_of"]
        later = Q(date__gt=day, reversed_on__isnull=True)
        undone = Q(date__lte=day, reversed_on__gt=day)
        by_customer = set(self.group_by(params)) <= {"customer", "manager"} and not any(
            params.get(k) for k in ("contract", "currency", "bucket")
        )
        if by_customer:
            # both sides of an allocation belong to one customer: one pass over the
            # allocations gives the debit side's buckets and the credit side's credit
            qs = Allocation.objects.filter(later | undone).filter(
                Q(debit__posting_date__lte=day) | Q(credit__posting_date__lte=day)
            )
            qs = self._scope(user, qs, "debit__", params)
            sums = {}
            debit = _base(_delta(later, "amount"), "debit__rate")
            for b in self.buckets(params):
                cond = Q(debit__posting_date__lte=day) & self._bucket_q(b.key, params, "debit__")
                sums[b.key] = Sum(
                    Case(When(cond, then=debit), default=Value(0), output_field=MONEY)
                )
            credit = _base(_delta(later, "credit_amount"), "credit__rate")
            sums["credit"] = Sum(
                Case(
                    When(credit__posting_date__lte=day, then=credit),
                    default=Value(0),
                    output_field=MONEY,
                )
            )
            return [self._grouped(qs, "debit__", params, sums)]
        out = []
        for p, side, field_name in (
            ("debit__", Side.DEBIT, "amount"),
            ("credit__", Side.CREDIT, "credit_amount"),
        ):
            qs = Allocation.objects.filter(later | undone, **{f"{p}posting_date__lte": day})
            qs = self._scope(user, qs, p, params)
            delta = _delta(later, field_name)
            amount = delta if self.in_currency(params) else _base(delta, f"{p}rate")
            out.append(self._grouped(qs, p, params, self._sums(params, p, amount, side)))
        return out

    def iter_rows(
        self, user, params: Params, *, limit=None, offset=0, stream=False
    ) -> Iterator[dict]:
        # rows are per customer (contract, manager, currency): merged in memory whatever
        # `stream` says; their number is bounded by the customers, not by the ledger
        rows = self._rows(user, params)
        end = None if limit is None else offset + limit
        yield from rows[offset:end]

    def _rows(self, user, params: Params) -> list[dict[str, Any]]:
        # the rows and the totals of one page come from the same reading of the ledger
        cached = params.cache.get(("aging", user.pk))
        if cached is not None:
            return cached
        rows = self._read(user, params)
        params.cache[("aging", user.pk)] = rows
        return rows

    def _read(self, user, params: Params) -> list[dict[str, Any]]:
        parts = [self.stored_part(user, params)]
        if self.replayed(params):
            parts += self.replay_parts(user, params)
        dims = self.group_by(params)
        buckets = self.buckets(params)
        keys = [b.key for b in buckets] + ["credit"]
        names = [(d, f"g_{d}", tuple(f"g_{d}_{i}" for i in range(len(DIMS[d].label_paths))))
                 for d in dims]  # fmt: skip
        merged: dict[tuple, dict[str, Any]] = {}
        zero = Decimal(0)
        for qs in parts:
            for raw in fetch(qs):
                key = tuple(raw[name] for _d, name, _l in names)
                row = merged.get(key)
                if row is None:
                    row = merged[key] = self._head(raw, names)
                    for k in keys:
                        row[k] = zero
                for k in keys:
                    value = raw.get(k)
                    if value:
                        row[k] += value if isinstance(value, Decimal) else Decimal(str(value))
        rows = []
        first = buckets[0].key
        for row in merged.values():
            total = Decimal("0.00")
            for b in buckets:
                row[b.key] = calc.money(row[b.key])
                total += row[b.key]
            row["credit"] = calc.money(row["credit"])
            row["total"] = total
            row["overdue"] = total - row[first]
            row["balance"] = total - row["credit"]
            if total or row["credit"]:
                rows.append(row)
        sort_python(rows, params.get("sort") or list(self.default_sort), dims)
        return rows

    def _head(self, raw: dict[str, Any], names) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for key, name, labels in names:
            value = raw[name]
            row[key] = value
            if value is None:
                row[f"{key}_label"] = str(_("(none)"))
            elif labels:
                row[f"{key}_label"] = DIMS[key].text([raw[n] for n in labels])
            else:
                row[f"{key}_label"] = str(value)
        return row

    def totals(self, user, params: Params) -> dict[str, Any]:
        total: dict[str, Any] = {}
        for row in self._rows(user, params):
            for column in self.measures(params):
                total[column.key] = total.get(column.key, Decimal("0.00")) + row[column.key]
        for column in self.measures(params):
            total.setdefault(column.key, Decimal("0.00"))
        return total


def _delta(later: Q, field_name: str) -> Case:
    """+amount for an allocation made after D (the item was that much more open on D),
    -amount for one in force on D and undone since."""
    return Case(When(later, then=F(field_name)), default=-F(field_name), output_field=MONEY)


def _base(amount, rate_path: str):
    return ExpressionWrapper(amount * F(rate_path), output_field=MONEY)


def bucket_title(bucket: calc.Bucket) -> str:
    if bucket.key == "current":
        return _t("Current")
    if bucket.high is None:
        return _t("Over %(d)s days") % {"d": bucket.low - 1}
    return _t("%(a)s–%(b)s days") % {"a": bucket.low, "b": bucket.high}


DIMS = _dims("")
REPORT = AgingReport()


def items_in(user, params: Params) -> QuerySet[OpenItem]:
    """The ledger items behind a row (drill-down), with `open_on` their open amount on the
    report's date (the plain replay: a drill-down is one customer's few items)."""
    from orderdesk.receivables.selectors import items_as_of

    day: dt.date = params["as_of"]
    qs = REPORT._scope(user, OpenItem.objects.all(), "", params)
    if REPORT.replayed(params):
        qs = items_as_of(day, qs).filter(open_as_of__gt=0).annotate(open_on=F("open_as_of"))
    else:
        qs = qs.filter(open_amount__gt=0, posting_date__lte=day).annotate(open_on=F("open_amount"))
    return qs.select_related("customer", "contract").order_by("customer_id", "due_date", "pk")
