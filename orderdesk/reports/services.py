"""Writes of the reports app: saved report variants and the dashboards' summary.

The reports never write another app's rows.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.models import Event
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, NotFound, ValidationFailed
from orderdesk.core.roles import Role
from orderdesk.orders.models import Order, OrderLine

from .choices import Visibility
from .models import DailySalesSummary, SavedReport, SummaryWatermark
from .permissions import require_reports
from .selectors import report_for
from .selectors.dashboards import SUMMARY
from .states import state_expression

MONEY = DecimalField(max_digits=28, decimal_places=8)
ZERO = Value(0, output_field=MONEY)
HUNDRED = Value(100)
ORDER_STREAM = "orders.order:"
DAYS_PER_BATCH = 31
# Events are numbered when written but seen when committed: a transaction still open at the
# last refresh may commit events numbered below its watermark. Each refresh therefore also
# looks at the last LOOKBACK_EVENTS events before the watermark that were written within
# LATE_COMMIT_MARGIN of that refresh's start (transactions are short: bounded retries).
LOOKBACK_EVENTS = 5000
LATE_COMMIT_MARGIN = dt.timedelta(minutes=2)


# --- saved variants ----------------------------------------------------------------------


def variant_save(
    *,
    by,
    report: str,
    name: str,
    params: dict[str, Any],
    shared_role: str = "",
    variant: SavedReport | None = None,
) -> SavedReport:
    """Save report parameters under a name, private or shared with a role.

    Rules: the user runs reports (`report_not_permitted`); the report exists
    (`report_not_found`); the parameters are valid for it (the report's own errors:
    `filter_unknown`, `date_range_reversed`, `buckets_out_of_order`, ...); a name is given
    (`variant_name_required`) and not used for another of the user's variants of the report
    (`variant_name_taken`, 409); a shared role is a role (`variant_role_invalid`). Only the
    owner changes a variant (`variant_not_found` for anyone else)."""
    require_reports(by)
    spec = report_for(report)
    name = (name or "").strip()[:128]
    if not name:
        raise ValidationFailed(
            _("Give the saved report a name."), code="variant_name_required", fields={"name": ""}
        )
    if shared_role and shared_role not in Role.values:
        raise ValidationFailed(
            _("Unknown role “%(r)s”.") % {"r": shared_role},
            code="variant_role_invalid",
            fields={"shared_role": shared_role},
        )
    clean = spec.parse(params or {}).query  # validated and normalised
    if variant is not None and variant.owner_id != by.pk:
        raise NotFound(_("No such saved report."), code="variant_not_found")
    target = variant or SavedReport(owner=by, report=spec.name)
    target.name = name
    target.params = clean
    target.visibility = Visibility.SHARED if shared_role else Visibility.PRIVATE
    target.shared_role = shared_role or ""
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise Conflict(
            _("You already have a saved report named “%(n)s”.") % {"n": name},
            code="variant_name_taken",
            fields={"name": name},
        ) from None
    return target


def variant_delete(*, by, variant: SavedReport | int) -> None:
    """Delete an own variant (`variant_not_found` for another user's, shared or not)."""
    pk = variant.pk if isinstance(variant, SavedReport) else variant
    deleted, _n = SavedReport.objects.filter(pk=pk, owner=by).delete()
    if not deleted:
        raise NotFound(_("No such saved report."), code="variant_not_found")


# --- the dashboards' summary -------------------------------------------------------------


def _summary_select(days: list[dt.date] | None) -> tuple[str, list[Any]]:
    """SELECT of the summary rows of `days` (None: every day), from the orders and their
    shipped lines, in the summary's columns: the ORM builds both aggregates, the database
    joins them and the rows go straight into the table (INSERT ... SELECT), however many."""
    orders = Order.objects.all()
    lines = OrderLine.objects.filter(shipped_quantity__gt=0)
    if days is not None:
        orders = orders.filter(order_date__in=days)
        lines = lines.filter(order__order_date__in=days)
    orders = (
        orders.annotate(
            k_day=F("order_date"),
            k_manager=F("manager_id"),
            k_customer=F("customer_id"),
            k_state=state_expression(),
        )
        .values("k_day", "k_manager", "k_customer", "k_state")
        .annotate(n=Count("id"), net=Sum("base_net_amount"), gross=Sum("base_gross_amount"))
        .order_by()
    )
    shipped, price, rate = F("shipped_quantity"), F("unit_price"), F("order__exchange_rate")
    disc = F("discount_percent")
    lines = (
        lines.annotate(
            k_day=F("order__order_date"),
            k_manager=F("order__manager_id"),
            k_customer=F("order__customer_id"),
            k_state=state_expression("order__"),
        )
        .values("k_day", "k_manager", "k_customer", "k_state")
        .annotate(
            revenue=Sum(
                ExpressionWrapper(shipped * price * (HUNDRED - disc) / HUNDRED * rate, MONEY)
            ),
            cost=Sum("shipped_cost"),
            discount=Sum(ExpressionWrapper(shipped * price * disc / HUNDRED * rate, MONEY)),
        )
        .order_by()
    )
    o_sql, o_params = orders.query.sql_with_params()
    l_sql, l_params = lines.query.sql_with_params()
    sql = (
        "SELECT o.k_day, o.k_manager, o.k_customer, o.k_state, o.n, ROUND(o.net, 2), "
        "ROUND(o.gross, 2), ROUND(COALESCE(l.revenue, 0), 2), ROUND(COALESCE(l.cost, 0), 2), "
        f"ROUND(COALESCE(l.discount, 0), 2) FROM ({o_sql}) o LEFT JOIN ({l_sql}) l "
        "ON l.k_day = o.k_day AND l.k_manager = o.k_manager AND l.k_customer = o.k_customer "
        "AND l.k_state = o.k_state"
    )
    return sql, [*o_params, *l_params]


SUMMARY_COLUMNS = (
    "day, manager_id, customer_id, state, orders, net_amount, gross_amount, revenue, cost, discount"
)


def _insert(days: list[dt.date] | None) -> int:
    select, params = _summary_select(days)
    table = DailySalesSummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({SUMMARY_COLUMNS}) {select}", params)
        return max(cursor.rowcount, 0)


def _rebuild_days(days: set[dt.date] | None) -> int:
    """Replace the summary rows of `days` (None: all of them), a batch of days per
    transaction (the dashboards see each day either before or after, never half)."""
    if days is None:
        with transaction.atomic():
            DailySalesSummary.objects.all().delete()
            return _insert(None)
    written = 0
    ordered = sorted(days)
    for i in range(0, len(ordered), DAYS_PER_BATCH):
        batch = ordered[i : i + DAYS_PER_BATCH]
        with transaction.atomic():
            DailySalesSummary.objects.filter(day__in=batch).delete()
            written += _insert(batch)
    return written


def _touched_days(
    after_event: int, upto_event: int, since: dt.datetime | None = None
) -> set[dt.date]:
    """The order dates whose figures the events after `after_event` (up to `upto_event`) may
    have changed: the current date of every order with such an event, and the old date of
    an order whose date was changed. With `since`, events up to LOOKBACK_EVENTS before
    `after_event` written since then count too (late commits)."""
    if since is None:
        new_events = Q(pk__gt=after_event)
    else:
        # one range of the primary key, the late commits within it told by their time
        new_events = Q(pk__gt=max(0, after_event - LOOKBACK_EVENTS)) & (
            Q(pk__gt=after_event) | Q(occurred_at__gte=since)
        )
    events = Event.objects.filter(
        new_events, pk__lte=upto_event, stream__startswith=ORDER_STREAM
    ).values_list("stream", "changes")
    order_ids: set[int] = set()
    days: set[dt.date] = set()
    for stream, changes in events.iterator(chunk_size=5000):
        try:
            order_ids.add(int(stream[len(ORDER_STREAM) :]))
        except ValueError:
            continue
        moved = (changes or {}).get("order_date") if isinstance(changes, dict) else None
        if moved and moved.get("from"):
            with suppress(ValueError):
                days.add(dt.date.fromisoformat(str(moved["from"])[:10]))
    ids = sorted(order_ids)
    for i in range(0, len(ids), 5000):
        days.update(
            Order.objects.filter(pk__in=ids[i : i + 5000])
            .values_list("order_date", flat=True)
            .distinct()
        )
    return days


@atomic_with_retry
def _lock_watermark() -> SummaryWatermark:
    mark, _created = SummaryWatermark.objects.get_or_create(name=SUMMARY)
    return SummaryWatermark.objects.select_for_update().get(pk=mark.pk)


def summaries_refresh(*, full: bool = False) -> dict[str, Any]:
    """Bring `DailySalesSummary` up to date with the orders.

    Incremental: every change to an order or its lines is a history event in the order's
    stream, so the days to rebuild are those of the orders with events after the watermark
    (and the old date of an order whose date changed); each such day is rebuilt whole in one
    transaction. `full` rebuilds every day (the first run does). Two refreshes never run at
    once: the watermark row is locked for the run (on PostgreSQL; SQLite has one writer)."""
    started = timezone.now()
    with transaction.atomic():
        mark = _lock_watermark()
        upto = Event.objects.aggregate(m=Coalesce(Max("pk"), 0))["m"]
        if full or mark.last_event_id == 0:
            days = None
            mode = "full"
        else:
            since = mark.refreshed_at - LATE_COMMIT_MARGIN if mark.refreshed_at else None
            days = _touched_days(mark.last_event_id, upto, since)
            mode = "incremental"
        written = _rebuild_days(days)
        mark.last_event_id = upto
        mark.refreshed_at = started  # what the next run's late-commit margin counts from
        mark.save(update_fields=["last_event_id", "refreshed_at"])
    return {
        "mode": mode,
        "days": len(days) if days is not None else "all",
        "rows": written,
        "last_event_id": upto,
        "seconds": round((timezone.now() - started).total_seconds(), 3),
    }
