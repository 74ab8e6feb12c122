"""Every report's figures equal an independent recomputation in hand-written SQL, on data made
by the bench generator (orders of every state, shipped and cancelled lines, invoices, the
ledger with payments, undone allocations and overpayments).

SQLite sums decimals in floating point, so amounts are compared to the cent there; on
PostgreSQL they must be equal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.utils import timezone

from orderdesk.reports.selectors import report_for
from orderdesk.reports.selectors.cancellations import lines_in as cancellation_lines
from orderdesk.testing.factories import UserFactory

from .conftest import sql

CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def same_money(mine, theirs) -> bool:
    tolerance = Decimal("0") if connection.vendor == "postgresql" else CENT
    return abs(cents(mine) - cents(theirs)) <= tolerance


def rows_of(name: str, user, query: dict) -> list[dict]:
    report = report_for(name)
    return list(report.iter_rows(user, report.parse(query)))


@pytest.fixture
def admin(db):
    return UserFactory(username="report.admin", roles=["administrator"])


STATE_SQL = """
SELECT CASE
         WHEN o.status = 'draft' THEN 'draft'
         WHEN o.status = 'pending_approval' THEN 'awaiting_approval'
         WHEN o.status = 'credit_hold' THEN 'credit_hold'
         WHEN o.status = 'closed' THEN 'closed'
         WHEN o.status = 'cancelled' THEN 'cancelled'
         WHEN o.status = 'confirmed' AND o.fulfillment_status = 'partially_shipped'
              THEN 'partially_shipped'
         WHEN o.status = 'confirmed' AND o.fulfillment_status = 'shipped' THEN 'shipped'
         WHEN o.status = 'confirmed'
              AND o.payment_status IN ('prepayment_due', 'partially_paid', 'overdue')
              THEN 'awaiting_payment'
         WHEN o.status = 'confirmed' THEN 'awaiting_shipment'
         ELSE 'other' END,
       o.manager_id, o.order_date, o.base_net_amount, o.base_gross_amount, o.customer_id
FROM orders_order o
"""


def test_order_states_equal_sql_by_state_manager_and_month(generated, admin):
    expected: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    by_month: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for state, manager, day, net, gross, _customer in sql(STATE_SQL):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        e = expected[(state, manager)]
        e[0] += 1
        e[1] += Decimal(str(net))
        e[2] += Decimal(str(gross))
        m = by_month[(state, day.replace(day=1))]
        m[0] += 1
        m[1] += Decimal(str(net))

    rows = rows_of("order_states", admin, {"group_by": "state,manager"})

    assert {(r["state"], r["manager"]) for r in rows} == set(expected)
    for r in rows:
        n, net, gross = expected[(r["state"], r["manager"])]
        assert r["orders"] == n
        assert same_money(r["net_amount"], net) and same_money(r["gross_amount"], gross)
    states = {r["state"] for r in rows}
    assert {"draft", "awaiting_shipment", "closed", "cancelled"} <= states

    monthly = rows_of("order_states", admin, {"group_by": "state,period", "period": "month"})
    assert {(r["state"], r["period"]) for r in monthly} == set(by_month)
    for r in monthly:
        n, net = by_month[(r["state"], r["period"])]
        assert r["orders"] == n and same_money(r["net_amount"], net)


def test_order_states_filters_narrow_like_sql(generated, admin):
    rows = sql(STATE_SQL)
    customer = rows[0][5]
    date_from = timezone.localdate() - dt.timedelta(days=200)
    wanted = defaultdict(int)
    for state, _m, day, _net, _gross, cust in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        if cust == customer and day >= date_from:
            wanted[state] += 1

    got = rows_of(
        "order_states", admin, {"customer": str(customer), "date_from": date_from.isoformat()}
    )

    assert {r["state"]: r["orders"] for r in got} == dict(wanted)


# Every cancelled quantity, one row each: a line cancellation with its own reason, and what
# a cancelled order's line still had open (ordered - shipped - cancelled by line before) with
# the order's reason.
CANCELLED_SQL = """
SELECT c.reason_id, l.product_id, l.id, c.quantity,
       l.unit_price, l.discount_percent, o.exchange_rate
FROM fulfillment_linecancellation c
JOIN orders_orderline l ON l.id = c.line_id
JOIN orders_order o ON o.id = l.order_id
UNION ALL
SELECT o.cancel_reason_id, l.product_id, l.id,
       l.quantity - l.shipped_quantity - l.cancelled_quantity,
       l.unit_price, l.discount_percent, o.exchange_rate
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.status = 'cancelled' AND l.quantity - l.shipped_quantity - l.cancelled_quantity > 0
"""


def _cancelled_by(index: int) -> dict:
    """{reason or product: [lines (a set), quantity, value]} from CANCELLED_SQL."""
    out: dict = defaultdict(lambda: [set(), Decimal(0), Decimal(0)])
    for row in sql(CANCELLED_SQL):
        line = row[2]
        q, price, disc, rate = (Decimal(str(x)) for x in row[3:])
        bucket = out[row[index]]
        bucket[0].add(line)
        bucket[1] += q
        bucket[2] += q * price * (100 - disc) / 100 * rate
    return out


def test_cancellations_equal_sql_by_reason_and_by_product(generated, admin):
    by_reason, by_product = _cancelled_by(0), _cancelled_by(1)
    assert None not in by_reason, "every cancellation has a reason"
    # the data has both kinds, and lines cancelled in part before their order was
    both = sql(
        """SELECT COUNT(*) FROM fulfillment_linecancellation c
           JOIN orders_order o ON o.id = c.order_id WHERE o.status = 'cancelled'"""
    )[0][0]
    assert both > 0

    for group, expected in (("reason", by_reason), ("product", by_product)):
        rows = rows_of("cancellations", admin, {"group_by": group})
        assert {r[group] for r in rows} == set(expected)
        for r in rows:
            lines, qty, value = expected[r[group]]
            assert r["lines"] == len(lines)
            assert r["quantity"] == qty.quantize(Decimal("0.001"))
            assert same_money(r["amount"], value), (group, r, value)


def test_cancellations_count_a_line_cancelled_then_its_order_once(generated, admin):
    """A line cancelled in part and then its order: the part with the line's reason, the
    rest with the order's, together the line's whole open quantity — not more."""
    line_id, ordered, shipped = sql(
        """SELECT l.id, l.quantity, l.shipped_quantity FROM orders_orderline l
           JOIN orders_order o ON o.id = l.order_id
           WHERE o.status = 'cancelled' AND l.cancelled_quantity > 0
           ORDER BY l.id"""
    )[0]
    report = report_for("cancellations")
    params = report.parse({})
    lines = cancellation_lines(admin, params).filter(pk=line_id)
    assert len(lines) == 1
    line = lines[0]
    assert line.row_order_rest and line.row_cancellations
    assert line.report_quantity == Decimal(str(ordered)) - Decimal(str(shipped))
    total = report.totals(admin, params)
    rows = report.rows(admin, params)
    assert total["quantity"] == sum(r["quantity"] for r in rows)
    everything = sum(bucket[1] for bucket in _cancelled_by(0).values())
    assert total["quantity"] == everything.quantize(Decimal("0.001"))


PROFIT_SQL = """
SELECT o.manager_id, l.product_id, p.group_id, o.customer_id, o.id,
       l.shipped_quantity, l.unit_price, l.discount_percent, o.exchange_rate, l.shipped_cost
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
JOIN catalog_product p ON p.id = l.product_id
WHERE l.shipped_quantity > 0
"""


@pytest.mark.parametrize("group", ["manager", "product", "product_group", "customer", "order"])
def test_profitability_equals_sql(generated, admin, group):
    index = {"manager": 0, "product": 1, "product_group": 2, "customer": 3, "order": 4}[group]
    expected: dict = defaultdict(lambda: [Decimal(0)] * 4)
    for row in sql(PROFIT_SQL):
        qty, price, disc, rate, cost = (Decimal(str(x)) for x in row[5:])
        e = expected[row[index]]
        e[0] += qty
        e[1] += qty * price * (100 - disc) / 100 * rate
        e[2] += cost  # the cost at shipment, kept per line
        e[3] += qty * price * disc / 100 * rate

    rows = rows_of("profitability", admin, {"group_by": group})

    assert {r[group] for r in rows} == set(expected)
    for r in rows:
        qty, revenue, cost, discount = expected[r[group]]
        assert r["quantity"] == qty.quantize(Decimal("0.001"))
        assert same_money(r["revenue"], revenue) and same_money(r["cost"], cost)
        assert same_money(r["discount"], discount)
        assert r["margin"] == r["revenue"] - r["cost"]
        if r["revenue"]:
            assert r["margin_pct"] == (r["margin"] * 100 / r["revenue"]).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )


def test_profitability_invoiced_basis_equals_sql_over_posted_invoices(generated, admin):
    query = """
    SELECT o.manager_id, SUM(il.quantity), SUM(il.net_amount * i.exchange_rate),
           SUM(il.quantity * CASE WHEN l.shipped_quantity > 0
                                  THEN l.shipped_cost * 1.0 / l.shipped_quantity
                                  ELSE l.cost_price END)
    FROM billing_invoiceline il
    JOIN billing_invoice i ON i.id = il.invoice_id
    JOIN orders_orderline l ON l.id = il.order_line_id
    JOIN orders_order o ON o.id = l.order_id
    WHERE i.status = 'posted' AND i.kind IN ('shipment', 'order')
    GROUP BY o.manager_id
    """
    expected = {m: (q, rev, cost) for m, q, rev, cost in sql(query)}
    assert expected

    rows = rows_of("profitability", admin, {"group_by": "manager", "basis": "invoiced"})

    assert {r["manager"] for r in rows} == set(expected)
    for r in rows:
        qty, revenue, cost = expected[r["manager"]]
        assert r["quantity"] == Decimal(str(qty)).quantize(Decimal("0.001"))
        assert same_money(r["revenue"], revenue) and same_money(r["cost"], cost)


def _replayed_open(day: dt.date) -> dict[int, dict[str, Decimal]]:
    """Per customer, open amounts on `day` in base currency by bucket (30/60/90) and credit,
    by the plain replay: amount less the allocations dated by `day` and not undone by then."""
    query = """
    SELECT i.customer_id, i.side, i.due_date, i.rate,
           i.amount - COALESCE((
             SELECT SUM(CASE WHEN i.side = 'debit' THEN a.amount ELSE a.credit_amount END)
             FROM receivables_allocation a
             WHERE (a.debit_id = i.id OR a.credit_id = i.id) AND a.date <= %(d)s
               AND (a.reversed_on IS NULL OR a.reversed_on > %(d)s)
           ), 0)
    FROM receivables_openitem i
    WHERE i.posting_date <= %(d)s
    """
    out: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer, side, due, rate, open_amount in sql(query, {"d": day}):
        open_amount = Decimal(str(open_amount))
        if open_amount <= 0:
            continue
        base = open_amount * Decimal(str(rate))
        if side == "credit":
            out[customer]["credit"] += base
            continue
        due = due if isinstance(due, dt.date) or due is None else dt.date.fromisoformat(due)
        days = 0 if due is None else (day - due).days
        key = (
            "current"
            if days <= 0
            else "d1_30"
            if days <= 30
            else "d31_60"
            if days <= 60
            else "d61_90"
            if days <= 90
            else "over_90"
        )
        out[customer][key] += base
    return out


@pytest.mark.parametrize("days_back", [0, 45, 120])
def test_aging_equals_a_replay_of_the_ledger_in_sql(generated, admin, days_back):
    day = timezone.localdate() - dt.timedelta(days=days_back)
    expected = _replayed_open(day)

    rows = rows_of("aging", admin, {"as_of": day.isoformat()})

    assert rows, "the generated ledger has open items"
    assert {r["customer"] for r in rows} == set(expected)
    for r in rows:
        e = expected[r["customer"]]
        for key in ("current", "d1_30", "d31_60", "d61_90", "over_90", "credit"):
            assert same_money(r[key], e.get(key, 0)), (day, r["customer"], key, r[key], e.get(key))
        assert r["total"] == sum(r[k] for k in ("current", "d1_30", "d31_60", "d61_90", "over_90"))
        assert r["overdue"] == r["total"] - r["current"]
