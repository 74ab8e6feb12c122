"""Report benchmark (issue 9): each report beside a hand-written SQL query for the same figures.

`python -m bench.reports [--scale small|medium|large|N] [--pg-url ...] [--repeat 5]`

On a fresh PostgreSQL database it generates orders with the bench generator
(`bench.generate`), adds what that generator does not make yet — invoices and their lines,
the receivables ledger (invoice instalments, payments, allocations, a few undone, some
overpaid) and partial line cancellations (`generate_ledger`) — then times every report
(`orderdesk.reports`) and a raw SQL query giving the same figures, in the same run, and
prints the ratios beside the targets:

- aging today (stored open amounts, partial index): report <= 3 x raw;
- aging as of a past date (replay): report <= 1.5 x raw;
- profitability: report <= 1.5 x raw;
- each report's time when the data doubles (a second generator run of the same size):
  <= 2.3 x its time before;
- exports stream with flat memory: the peak Python memory of a CSV export of twice the
  rows stays within 1.2 x (XLSX too);
- dashboards read the summary kept at their grain (its refresh and read times shown).

Each figure is the median of `--repeat` runs after one warm-up. The figures are checked to be
equal before they are timed (a benchmark of wrong figures would prove nothing).

`generate_ledger` also works on SQLite (executemany instead of COPY); the report tests use
it at a tiny scale for their "figures equal an independent SQL recomputation" checks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/orderdesk_bench_reports"
CENT = Decimal("0.01")
D0 = Decimal(0)
PAST_DAYS = 90  # "as of a past date": this many days ago

TARGETS = {
    "aging": 3.0,
    "aging_past": 1.5,
    "profitability": 1.5,
    "doubling": 2.3,
    "memory": 1.2,
}


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- data: invoices, the ledger, line cancellations --------------------------------------------

INVOICE_COLS = (
    "id", "number", "status", "customer_id", "contract_id", "currency_id", "exchange_rate",
    "document_date", "net_amount", "vat_amount", "gross_amount", "base_gross_amount",
    "created_at", "posted_at", "kind", "order_id", "shipped_on", "prepayment_deducted",
    "payable_amount", "due_date",
)  # fmt: skip
INVOICE_LINE_COLS = (
    "invoice_id", "order_line_id", "position", "sku", "description", "unit", "quantity",
    "unit_price", "discount_percent", "vat_rate", "net_amount", "vat_amount", "gross_amount",
)  # fmt: skip
ITEM_COLS = (
    "id", "customer_id", "contract_id", "currency_id", "side", "kind", "doc_type", "doc_id",
    "doc_number", "order_id", "instalment", "trigger", "description", "posting_date",
    "due_date", "amount", "open_amount", "rate", "base_amount", "created_at",
)  # fmt: skip
ALLOCATION_COLS = (
    "debit_id", "credit_id", "date", "amount", "credit_amount", "conversion_rate",
    "exchange_difference", "reversed_on", "created_at",
)  # fmt: skip
CANCELLATION_COLS = (
    "order_id", "line_id", "quantity", "reason_id", "comment", "created_by_id", "created_at",
)  # fmt: skip
DUE_DAYS = {"net30": 30, "net14": 14, "half50": 14, "prepay100": 0}


def generate_ledger(
    *, first_order_id: int = 1, seed: int = 20260101, fast: bool = False, progress=None
) -> dict[str, Any]:
    """Invoices, ledger items, allocations and line cancellations for the generated orders
    with id >= `first_order_id`, consistent with their fulfillment and payment states.

    - the cost of shipped goods (`OrderLine.shipped_cost`) of the lines that shipped;
    - an order with shipped lines: a posted shipment invoice for the shipped quantities, due
      after the terms' days; paid in full (paid, closed), in half (partially paid) or not at
      all (overdue, not due); 3 % of payments overpay (credit left open), 1 % of the
      allocations are undone later (the invoice open again, the payment unapplied);
    - a confirmed order waiting for prepayment: a prepayment invoice for half its total;
    - 30 % of the partially shipped orders: half of each unshipped line cancelled, and
      25 % of the cancelled orders that had been confirmed: half of their first line
      cancelled before the order was (a `fulfillment.LineCancellation` each, with a reason
      from the catalogue, and the line's `cancelled_quantity`).

    `open_amount` = amount - allocations in force, as the receivables services keep it.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.loading import Loader, next_id, reset_sequences
    from orderdesk.billing.models import Invoice, InvoiceLine
    from orderdesk.core.money import quantize
    from orderdesk.customers.models import PaymentTerms
    from orderdesk.fulfillment.models import LineCancellation
    from orderdesk.orders.models import CancellationReason, Order, OrderLine
    from orderdesk.receivables.models import Allocation, OpenItem
    from orderdesk.receivables.services import balances_rebuild

    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    today = timezone.localdate()
    now = timezone.now()
    base = "UAH"
    from django.conf import settings

    base = settings.ORDERDESK["BASE_CURRENCY"]
    terms = {t.pk: DUE_DAYS.get(t.code, 14) for t in PaymentTerms.objects.all()}
    reasons = [
        (r.pk, "Bench: explained" if r.requires_text else "")
        for r in CancellationReason.objects.filter(active=True).order_by("code")
    ]
    # the cost of what shipped: the product's cost moved between entry and shipment, so each
    # line's cost at shipment is its cost at entry x 0.95 .. 1.05 (one statement)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE orders_orderline SET shipped_cost = ROUND(shipped_quantity * cost_price"
            " * (95 + id %% 11) / 100.0, 4) WHERE order_id >= %s AND shipped_quantity > 0",
            [first_order_id],
        )
    next_invoice, next_item = next_id(Invoice), next_id(OpenItem)
    payment_doc = 10_000_000 + next_item  # payments are known to the ledger by reference only
    invoices, inv_lines, items, allocations, cancels = [], [], [], [], []
    counts = {"invoices": 0, "invoice_lines": 0, "items": 0, "allocations": 0, "cancelled": 0}
    loader = Loader()

    def flush() -> None:
        with transaction.atomic():
            if fast and connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL session_replication_role = replica")
                    cur.execute("SET LOCAL synchronous_commit = off")
            loader.load(Invoice, INVOICE_COLS, invoices)
            loader.load(InvoiceLine, INVOICE_LINE_COLS, inv_lines)
            loader.load(OpenItem, ITEM_COLS, items)
            loader.load(Allocation, ALLOCATION_COLS, allocations)
            if cancels:
                loader.load(LineCancellation, CANCELLATION_COLS, cancels)
                lite = connection.vendor == "sqlite"
                with connection.cursor() as cur:
                    cur.executemany(
                        "UPDATE orders_orderline SET cancelled_quantity = cancelled_quantity + %s"
                        " WHERE id = %s",
                        [(str(c[2]) if lite else c[2], c[1]) for c in cancels],
                    )
        counts["invoices"] += len(invoices)
        counts["invoice_lines"] += len(inv_lines)
        counts["items"] += len(items)
        counts["allocations"] += len(allocations)
        counts["cancelled"] += len(cancels)
        for bucket in (invoices, inv_lines, items, allocations, cancels):
            bucket.clear()

    def item(**kw) -> int:
        nonlocal next_item
        pk = next_item
        next_item += 1
        items.append(tuple(kw.get(c) if c != "id" else pk for c in ITEM_COLS))
        return pk

    orders = (
        Order.objects.filter(pk__gte=first_order_id, status__in=["confirmed", "closed"])
        .order_by("pk")
        .values_list(
            "pk",
            "number",
            "status",
            "fulfillment_status",
            "payment_status",
            "order_date",
            "customer_id",
            "contract_id",
            "currency_id",
            "exchange_rate",
            "payment_terms_id",
            "gross_amount",
            "manager_id",
        )
    )
    line_rows = (
        OrderLine.objects.filter(
            order_id__gte=first_order_id, order__status__in=["confirmed", "closed"]
        )
        .order_by("order_id", "position")
        .values_list(
            "order_id",
            "pk",
            "position",
            "product__sku",
            "description",
            "unit",
            "quantity",
            "shipped_quantity",
            "unit_price",
            "discount_percent",
            "vat_rate",
        )
        .iterator(chunk_size=20000)
    )
    pending = next(line_rows, None)
    done = 0
    for (
        oid,
        number,
        status,
        ful,
        pay,
        day,
        cust,
        contract,
        cur,
        rate,
        terms_id,
        gross,
        manager,
    ) in orders.iterator(chunk_size=20000):
        own = []
        while pending is not None and pending[0] < oid:
            pending = next(line_rows, None)
        while pending is not None and pending[0] == oid:
            own.append(pending)
            pending = next(line_rows, None)
        rng = random.Random(seed * 7919 + oid)
        rate = Decimal(rate)
        shipped = [li for li in own if li[7] > 0]
        common = {
            "customer_id": cust, "contract_id": contract, "currency_id": cur, "rate": rate,
            "created_at": now, "order_id": oid, "description": number,
        }  # fmt: skip
        if ful == "partially_shipped" and rng.random() < 0.3:
            for li in own:
                if li[7] == 0 and li[6] >= 2:
                    reason, comment = rng.choice(reasons)
                    half = (li[6] / 2).quantize(Decimal("1"))
                    cancels.append((oid, li[1], half, reason, comment, manager, now))
        if shipped:
            doc_date = min(day + dt.timedelta(days=rng.randrange(1, 11)), today)
            due = doc_date + dt.timedelta(days=terms.get(terms_id, 14))
            inv_id = next_invoice
            next_invoice += 1
            net_sum = vat_sum = D0
            for pos, li in enumerate(shipped, 1):
                _o, lid, _p, sku, desc, unit, _q, qty, price, disc, vat = li
                net = quantize(qty * price * (100 - disc) / 100, cur)
                vat_amt = quantize(net * vat / 100, cur)
                net_sum, vat_sum = net_sum + net, vat_sum + vat_amt
                inv_lines.append(
                    (inv_id, lid, pos, sku, desc, unit, qty, price, disc, vat, net, vat_amt,
                     net + vat_amt)
                )  # fmt: skip
            total = net_sum + vat_sum
            inv_number = f"РФ-{doc_date.year}-B{inv_id:07d}"
            invoices.append(
                (inv_id, inv_number, "posted", cust, contract, cur, rate, doc_date, net_sum,
                 vat_sum, total, quantize(total * rate, base), now, now, "shipment", oid,
                 doc_date, D0, total, due)
            )  # fmt: skip
            debit = item(
                **common, side="debit", kind="invoice", doc_type="invoice", doc_id=inv_id,
                doc_number=inv_number, instalment=1, trigger="after_shipment",
                posting_date=doc_date, due_date=due, amount=total, open_amount=total,
                base_amount=quantize(total * rate, base),
            )  # fmt: skip
            debit_row = len(items) - 1
            if status == "closed" or pay == "paid":
                paid = total
            elif pay == "partially_paid":
                paid = q2(total / 2)
            else:
                paid = D0
            if paid > 0:
                pay_day = min(max(due + dt.timedelta(days=rng.randrange(-10, 21)), doc_date), today)
                extra = q2(paid * Decimal("0.05")) if rng.random() < 0.03 else D0
                credit_amount = paid + extra
                credit = item(
                    **common, side="credit", kind="payment", doc_type="payment",
                    doc_id=payment_doc, doc_number=f"BANK-{payment_doc}", instalment=None,
                    trigger="", posting_date=pay_day, due_date=None, amount=credit_amount,
                    open_amount=extra, base_amount=quantize(credit_amount * rate, base),
                )  # fmt: skip
                payment_doc += 1
                credit_row = len(items) - 1
                reversed_on = None
                if rng.random() < 0.01 and pay_day < today:
                    reversed_on = min(pay_day + dt.timedelta(days=rng.randrange(1, 31)), today)
                allocations.append(
                    (debit, credit, pay_day, paid, paid, Decimal(1), D0, reversed_on, now)
                )
                open_debit = total - (paid if reversed_on is None else D0)
                open_credit = extra + (paid if reversed_on is not None else D0)
                items[debit_row] = _with(items[debit_row], open_amount=open_debit)
                items[credit_row] = _with(items[credit_row], open_amount=open_credit)
        elif status == "confirmed" and pay in ("prepayment_due", "partially_paid"):
            amount = q2(Decimal(gross) / 2)
            if amount > 0:
                inv_id = next_invoice
                next_invoice += 1
                inv_number = f"РФ-{day.year}-B{inv_id:07d}"
                due = day + dt.timedelta(days=3)
                invoices.append(
                    (inv_id, inv_number, "posted", cust, contract, cur, rate, day, D0, D0,
                     amount, quantize(amount * rate, base), now, now, "prepayment", oid, None,
                     D0, amount, due)
                )  # fmt: skip
                item(
                    **common, side="debit", kind="invoice", doc_type="invoice", doc_id=inv_id,
                    doc_number=inv_number, instalment=1, trigger="on_order", posting_date=day,
                    due_date=due, amount=amount, open_amount=amount,
                    base_amount=quantize(amount * rate, base),
                )  # fmt: skip
        if len(items) >= 50_000:
            flush()
            say(f"ledger: {done:,} orders, {counts['items']:,} items")
    flush()
    # lines of cancelled orders cancelled in part while the order was confirmed
    first_lines = (
        OrderLine.objects.filter(
            order_id__gte=first_order_id,
            order__status="cancelled",
            order__confirmed_at__isnull=False,
            position=1,
            quantity__gte=2,
            shipped_quantity=0,
        )
        .order_by("order_id")
        .values_list("order_id", "pk", "quantity", "order__manager_id", "order__cancelled_at")
    )
    for oid, lid, qty, manager, cancelled_at in first_lines.iterator(chunk_size=20000):
        rng = random.Random(seed * 104729 + oid)
        if rng.random() < 0.25:
            reason, comment = rng.choice(reasons)
            when = cancelled_at - dt.timedelta(hours=1)
            cancels.append(
                (oid, lid, (qty / 2).quantize(Decimal("1")), reason, comment, manager, when)
            )
        if len(cancels) >= 50_000:
            flush()
    flush()
    with transaction.atomic():
        reset_sequences([Invoice, InvoiceLine, OpenItem, Allocation, LineCancellation])
        # the items were written behind the services' back: bring the stored per-customer
        # balances (which the credit check reads) in line with them
        balances_rebuild()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


def _with(row: tuple, **changes) -> tuple:
    values = list(row)
    for key, value in changes.items():
        values[ITEM_COLS.index(key)] = value
    return tuple(values)


# --- the hand-written SQL --------------------------------------------------------------------

RAW_AGING_TODAY = """
SELECT i.customer_id, c.short_name,
       SUM(CASE WHEN i.side = 'debit' AND (i.due_date >= %(d)s OR i.due_date IS NULL)
                THEN i.open_amount * i.rate ELSE 0 END),
       SUM(CASE WHEN i.side = 'debit' AND i.due_date < %(d)s AND i.due_date >= %(d30)s
                THEN i.open_amount * i.rate ELSE 0 END),
       SUM(CASE WHEN i.side = 'debit' AND i.due_date < %(d30)s AND i.due_date >= %(d60)s
                THEN i.open_amount * i.rate ELSE 0 END),
       SUM(CASE WHEN i.side = 'debit' AND i.due_date < %(d60)s AND i.due_date >= %(d90)s
                THEN i.open_amount * i.rate ELSE 0 END),
       SUM(CASE WHEN i.side = 'debit' AND i.due_date < %(d90)s
                THEN i.open_amount * i.rate ELSE 0 END),
       SUM(CASE WHEN i.side = 'credit' THEN i.open_amount * i.rate ELSE 0 END)
FROM receivables_openitem i JOIN customers_customer c ON c.id = i.customer_id
WHERE i.open_amount > 0 AND i.posting_date <= %(d)s
GROUP BY i.customer_id, c.short_name
"""

# The replay as the ledger defines it: amount less the allocations in force on D.
RAW_AGING_REPLAY = """
WITH settled AS (
  SELECT debit_id AS item_id, SUM(amount) AS s FROM receivables_allocation
  WHERE date <= %(d)s AND (reversed_on IS NULL OR reversed_on > %(d)s) GROUP BY debit_id
  UNION ALL
  SELECT credit_id, SUM(credit_amount) FROM receivables_allocation
  WHERE date <= %(d)s AND (reversed_on IS NULL OR reversed_on > %(d)s) GROUP BY credit_id
), open_on AS (
  SELECT i.customer_id, i.side, i.due_date, i.rate, i.amount - COALESCE(s.s, 0) AS open
  FROM receivables_openitem i LEFT JOIN settled s ON s.item_id = i.id
  WHERE i.posting_date <= %(d)s
)
SELECT o.customer_id, c.short_name,
       SUM(CASE WHEN o.side = 'debit' AND (o.due_date >= %(d)s OR o.due_date IS NULL)
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d)s AND o.due_date >= %(d30)s
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d30)s AND o.due_date >= %(d60)s
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d60)s AND o.due_date >= %(d90)s
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d90)s THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'credit' THEN o.open * o.rate ELSE 0 END)
FROM open_on o JOIN customers_customer c ON c.id = o.customer_id
WHERE o.open > 0
GROUP BY o.customer_id, c.short_name
"""

# The same figures from the stored state backwards (the method the report uses), by hand.
RAW_AGING_DELTA = """
WITH delta AS (
  SELECT a.debit_id AS item_id,
         SUM(CASE WHEN a.date > %(d)s AND a.reversed_on IS NULL THEN a.amount
                  ELSE -a.amount END) AS d
  FROM receivables_allocation a
  WHERE (a.date > %(d)s AND a.reversed_on IS NULL) OR (a.date <= %(d)s AND a.reversed_on > %(d)s)
  GROUP BY a.debit_id
  UNION ALL
  SELECT a.credit_id,
         SUM(CASE WHEN a.date > %(d)s AND a.reversed_on IS NULL THEN a.credit_amount
                  ELSE -a.credit_amount END)
  FROM receivables_allocation a
  WHERE (a.date > %(d)s AND a.reversed_on IS NULL) OR (a.date <= %(d)s AND a.reversed_on > %(d)s)
  GROUP BY a.credit_id
), open_on AS (
  SELECT i.customer_id, i.side, i.due_date, i.rate, i.open_amount + COALESCE(x.d, 0) AS open
  FROM receivables_openitem i LEFT JOIN delta x ON x.item_id = i.id
  WHERE i.posting_date <= %(d)s AND (i.open_amount > 0 OR x.item_id IS NOT NULL)
)
SELECT o.customer_id, c.short_name,
       SUM(CASE WHEN o.side = 'debit' AND (o.due_date >= %(d)s OR o.due_date IS NULL)
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d)s AND o.due_date >= %(d30)s
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d30)s AND o.due_date >= %(d60)s
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d60)s AND o.due_date >= %(d90)s
                THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'debit' AND o.due_date < %(d90)s THEN o.open * o.rate ELSE 0 END),
       SUM(CASE WHEN o.side = 'credit' THEN o.open * o.rate ELSE 0 END)
FROM open_on o JOIN customers_customer c ON c.id = o.customer_id
WHERE o.open > 0
GROUP BY o.customer_id, c.short_name
"""

RAW_PROFIT_BY_MANAGER = """
SELECT o.manager_id, u.first_name, u.last_name, u.username,
       SUM(l.shipped_quantity),
       SUM(l.shipped_quantity * l.unit_price * (100 - l.discount_percent) / 100 * o.exchange_rate),
       SUM(l.shipped_cost),
       SUM(l.shipped_quantity * l.unit_price * l.discount_percent / 100 * o.exchange_rate)
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
JOIN auth_user u ON u.id = o.manager_id
WHERE l.shipped_quantity > 0
GROUP BY o.manager_id, u.first_name, u.last_name, u.username
"""

RAW_PROFIT_BY_PRODUCT_MONTH = """
SELECT l.product_id, p.sku, p.name, date_trunc('month', o.order_date)::date,
       SUM(l.shipped_quantity),
       SUM(l.shipped_quantity * l.unit_price * (100 - l.discount_percent) / 100 * o.exchange_rate),
       SUM(l.shipped_cost),
       SUM(l.shipped_quantity * l.unit_price * l.discount_percent / 100 * o.exchange_rate)
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
JOIN catalog_product p ON p.id = l.product_id
WHERE l.shipped_quantity > 0
GROUP BY l.product_id, p.sku, p.name, date_trunc('month', o.order_date)::date
"""

RAW_STATES_BY_MANAGER = """
SELECT CASE
         WHEN o.status = 'draft' THEN 'draft'
         WHEN o.status = 'pending_approval' THEN 'awaiting_approval'
         WHEN o.status = 'credit_hold' THEN 'credit_hold'
         WHEN o.status = 'confirmed' AND o.fulfillment_status IN ('not_released', 'released')
              AND o.payment_status IN ('prepayment_due', 'partially_paid', 'overdue')
              THEN 'awaiting_payment'
         WHEN o.status = 'confirmed' AND o.fulfillment_status IN ('not_released', 'released')
              THEN 'awaiting_shipment'
         WHEN o.status = 'confirmed' AND o.fulfillment_status = 'partially_shipped'
              THEN 'partially_shipped'
         WHEN o.status = 'confirmed' AND o.fulfillment_status = 'shipped' THEN 'shipped'
         WHEN o.status = 'closed' THEN 'closed'
         WHEN o.status = 'cancelled' THEN 'cancelled'
         ELSE 'other' END AS state,
       o.manager_id, u.first_name, u.last_name, u.username,
       COUNT(*), SUM(o.base_net_amount), SUM(o.base_gross_amount)
FROM orders_order o JOIN auth_user u ON u.id = o.manager_id
GROUP BY 1, o.manager_id, u.first_name, u.last_name, u.username
"""

# Line cancellations with their own reason, and the rest of cancelled orders' lines with the
# order's; lines counted once per reason.
RAW_CANCELLATIONS_BY_REASON = """
WITH entries AS (
  SELECT c.reason_id, c.line_id, c.quantity AS q,
         c.quantity * l.unit_price * (100 - l.discount_percent) / 100 * o.exchange_rate AS v
  FROM fulfillment_linecancellation c
  JOIN orders_orderline l ON l.id = c.line_id
  JOIN orders_order o ON o.id = l.order_id
  UNION ALL
  SELECT o.cancel_reason_id, l.id, l.quantity - l.shipped_quantity - l.cancelled_quantity,
         (l.quantity - l.shipped_quantity - l.cancelled_quantity)
           * l.unit_price * (100 - l.discount_percent) / 100 * o.exchange_rate
  FROM orders_orderline l
  JOIN orders_order o ON o.id = l.order_id
  WHERE o.status = 'cancelled' AND l.quantity > l.shipped_quantity + l.cancelled_quantity
)
SELECT e.reason_id, r.name, COUNT(DISTINCT e.line_id), SUM(e.q), SUM(e.v)
FROM entries e
LEFT JOIN orders_cancellationreason r ON r.id = e.reason_id
GROUP BY e.reason_id, r.name
"""

RAW_DASHBOARD_MARGINS = """
SELECT o.manager_id,
       SUM(l.shipped_quantity * l.unit_price * (100 - l.discount_percent) / 100 * o.exchange_rate),
       SUM(l.shipped_cost)
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE l.shipped_quantity > 0 AND o.order_date >= %(since)s
GROUP BY o.manager_id
"""


# --- timing ----------------------------------------------------------------------------------


def _median_seconds(fn, repeat: int) -> tuple[float, Any]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _interleaved(fns: dict[str, Any], repeat: int) -> dict[str, float]:
    """Median seconds of each function, run in turn (a, b, c, d, a, b, ...) so that a change
    in the machine's load falls on all of them alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _raw(sql: str, params: dict[str, Any], alias: str = "default"):
    """The hand-written query, run as the reports run theirs: in a read transaction with the
    reports' session settings (work_mem), so that the two differ only by the query and the
    code around it."""
    from django.db import connections, transaction

    from orderdesk.reports.selectors.base import report_session

    def run():
        with transaction.atomic(using=alias):
            report_session(connections[alias])
            with connections[alias].cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

    return run


def _report(name: str, query: dict[str, Any], user, *, replica: bool = False):
    from orderdesk.reports.routers import replica_reads
    from orderdesk.reports.selectors import report_for

    report = report_for(name)

    def run():
        # parsed each time, as a request does (parameters carry a per-request cache)
        if replica:
            with replica_reads():
                return list(report.iter_rows(user, report.parse(query)))
        return list(report.iter_rows(user, report.parse(query)))

    return run


def _close(a: Decimal | float | None, b: Decimal | float | None) -> bool:
    return abs(Decimal(str(a or 0)) - Decimal(str(b or 0))) <= Decimal("0.02")


def _check_equal(name: str, rows: list[dict], raw: list[tuple], key, pairs) -> None:
    """Report rows and raw rows give the same figures (matched by key) before they are
    timed; a group only one side has must be all zeros on that side."""
    mine = {key(r): r for r in rows}
    theirs = {pairs["key"](r): r for r in raw}
    for k in set(mine) | set(theirs):
        raw_values = [theirs[k][i] for i in pairs["raw"]] if k in theirs else None
        row_values = [mine[k][f] for f in pairs["report"]] if k in mine else None
        if raw_values is None or row_values is None:
            present = raw_values if row_values is None else row_values
            if any(not _close(v, 0) for v in present):
                raise AssertionError(f"{name}: group {k} only on one side: {present}")
            continue
        if not all(_close(a, b) for a, b in zip(row_values, raw_values, strict=True)):
            raise AssertionError(f"{name}: {k}: report {row_values} != raw {raw_values}")


def _cases(today: dt.date, past: dt.date) -> list[tuple]:
    def cutoffs(d: dt.date) -> dict[str, Any]:
        return {
            "d": d,
            "d30": d - dt.timedelta(days=30),
            "d60": d - dt.timedelta(days=60),
            "d90": d - dt.timedelta(days=90),
        }

    aging = {
        "key": lambda r: r[0],
        "raw": [2, 3, 4, 5, 6, 7],
        "report": ["current", "d1_30", "d31_60", "d61_90", "over_90", "credit"],
    }
    by_customer = lambda r: r["customer"]  # noqa: E731
    profit = ["quantity", "revenue", "cost", "discount"]
    return [
        ("aging", "aging", {"as_of": today.isoformat()}, RAW_AGING_TODAY, cutoffs(today),
         aging, by_customer),
        ("aging_past", "aging", {"as_of": past.isoformat()}, RAW_AGING_REPLAY, cutoffs(past),
         aging, by_customer),
        ("aging_past_vs_delta_sql", "aging", {"as_of": past.isoformat()}, RAW_AGING_DELTA,
         cutoffs(past), aging, by_customer),
        ("profitability", "profitability", {"group_by": "manager"}, RAW_PROFIT_BY_MANAGER, {},
         {"key": lambda r: r[0], "raw": [4, 5, 6, 7], "report": profit},
         lambda r: r["manager"]),
        ("profitability_product_month", "profitability",
         {"group_by": "product,period", "period": "month"}, RAW_PROFIT_BY_PRODUCT_MONTH, {},
         {"key": lambda r: (r[0], r[3]), "raw": [4, 5, 6, 7], "report": profit},
         lambda r: (r["product"], r["period"])),
        ("order_states", "order_states", {"group_by": "state,manager"}, RAW_STATES_BY_MANAGER,
         {}, {"key": lambda r: (r[0], r[1]), "raw": [5, 6, 7],
              "report": ["orders", "net_amount", "gross_amount"]},
         lambda r: (r["state"], r["manager"])),
        ("cancellations", "cancellations", {"group_by": "reason"}, RAW_CANCELLATIONS_BY_REASON,
         {}, {"key": lambda r: r[0], "raw": [2, 3, 4], "report": ["lines", "quantity", "amount"]},
         lambda r: r["reason"]),
    ]  # fmt: skip


def _counts(alias: str) -> dict[str, int]:
    from orderdesk.orders.models import Order, OrderLine
    from orderdesk.receivables.models import Allocation, OpenItem

    return {
        "orders": Order.objects.using(alias).count(),
        "order_lines": OrderLine.objects.using(alias).count(),
        "open_items": OpenItem.objects.using(alias).count(),
        "open_items_open": OpenItem.objects.using(alias).filter(open_amount__gt=0).count(),
        "allocations": Allocation.objects.using(alias).count(),
    }


def bench_user():
    """A superuser for the runs (it sees every figure), in the database of this process."""
    from django.contrib.auth.models import User

    user, _c = User.objects.get_or_create(
        username="bench.reports", defaults={"is_superuser": True, "password": "!bench"}
    )
    return user


def measure_pair(*, repeat: int = 7) -> dict[str, Any]:
    """Every report and its raw SQL twin on the data at 1x ("default") and at 2x (the
    "replica" alias, through the reports' replica router), all four run in turn, so that the
    ratios and the growth compare times taken in the same moments."""
    from django.utils import timezone

    user = bench_user()
    today = timezone.localdate()
    past = today - dt.timedelta(days=PAST_DAYS)
    out: dict[str, Any] = {"rows": {"1x": _counts("default"), "2x": _counts("replica")}}
    cases = {}
    for name, report, query, sql, sql_params, pairs, key in _cases(today, past):
        fns = {
            "report_1x": _report(report, query, user),
            "report_2x": _report(report, query, user, replica=True),
            "raw_1x": _raw(sql, sql_params),
            "raw_2x": _raw(sql, sql_params, "replica"),
        }
        for size in ("1x", "2x"):
            _check_equal(
                f"{name} [{size}]", fns[f"report_{size}"](), fns[f"raw_{size}"](), key, pairs
            )
        t = _interleaved(fns, repeat)
        cases[name] = {
            **{k: round(v, 5) for k, v in t.items()},
            "ratio_1x": round(t["report_1x"] / t["raw_1x"], 3),
            "ratio_2x": round(t["report_2x"] / t["raw_2x"], 3),
            "growth_report": round(t["report_2x"] / t["report_1x"], 3),
            "growth_raw": round(t["raw_2x"] / t["raw_1x"], 3),
        }
    out["cases"] = cases
    return out


def measure_extras(*, repeat: int = 7) -> dict[str, Any]:
    """In one database: the dashboards' summary and widgets, and the exports' memory."""
    user = bench_user()
    return {"dashboards": measure_dashboards(user, repeat), "exports": measure_export(user)}


def measure_dashboards(user, repeat: int) -> dict[str, Any]:
    """The summary's refresh (full, then incremental after a few changes) and the margins
    widget from it beside the same figures from the order lines."""
    from django.utils import timezone

    from orderdesk.audit.services import Entry, record_many, stream_of
    from orderdesk.orders.models import Order
    from orderdesk.reports.selectors.dashboards import MARGIN_DAYS, margins, pipeline
    from orderdesk.reports.services import summaries_refresh

    full = summaries_refresh(full=True)
    # a few changes: the history events an edit writes, then an incremental refresh
    for order in Order.objects.filter(status="confirmed").order_by("-pk")[:20]:
        record_many(
            stream=stream_of(order),
            by=None,
            entries=[
                Entry("orders.order.changed", order, {"comment": {"from": "", "to": "x"}}, {})
            ],
        )
    incremental = summaries_refresh()
    since = timezone.localdate() - dt.timedelta(days=MARGIN_DAYS - 1)
    t = _interleaved(
        {
            "margins": lambda: margins(user),
            "pipeline": lambda: pipeline(user),
            "raw": _raw(RAW_DASHBOARD_MARGINS, {"since": since}),
        },
        repeat,
    )
    return {
        "refresh_full": full,
        "refresh_incremental": incremental,
        "margins_widget_s": round(t["margins"], 5),
        "pipeline_widget_s": round(t["pipeline"], 5),
        "margins_from_lines_raw_s": round(t["raw"], 5),
    }


def measure_export(user) -> dict[str, Any]:
    """Peak Python memory of a CSV and an XLSX export of profitability by order (the report
    with the most rows), and how many rows and bytes they held."""
    import tracemalloc

    from orderdesk.reports import exports
    from orderdesk.reports.selectors import report_for

    report = report_for("profitability")
    params = report.parse({"group_by": "order"})
    out: dict[str, Any] = {}
    for fmt in ("csv", "xlsx"):
        tracemalloc.start()
        t0 = time.perf_counter()
        if fmt == "csv":
            size = exports.consume(exports.csv_rows(report, user, params))
        else:
            handle = exports.xlsx_file(report, user, params)
            size = handle.seek(0, os.SEEK_END)
            handle.close()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[fmt] = {
            "peak_mib": round(peak / 2**20, 2),
            "bytes": size,
            "seconds": round(time.perf_counter() - t0, 3),
        }
    out["rows"] = sum(1 for _ in report.iter_rows(user, report.parse({"group_by": "order"})))
    return out


def prepare(*, scale: str, seed: int, workers: int, progress=print) -> dict[str, Any]:
    """Add one data set of `scale` to the database of this process: orders (the bench
    generator), then invoices, the ledger and line cancellations."""
    from bench.generate import generate

    progress(f"generating orders ({scale})")
    gen = generate(scale, seed=seed, workers=workers, fast=True, progress=progress)
    progress("generating invoices and the ledger")
    ledger = generate_ledger(first_order_id=gen["first_order_id"], seed=seed, fast=True)
    progress(f"ledger: {ledger}")
    bench_user()
    return {"generate": gen, "ledger": ledger}


# --- the table -----------------------------------------------------------------------------------


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "pass" if value <= limit else "miss"


def rows_of(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, pass/miss/info) rows for the printed table."""
    cases = results["pair"]["cases"]
    table = []
    for name, target_key, label in (
        ("aging", "aging", "aging today / raw SQL (stored open amount, partial index)"),
        ("aging_past", "aging_past", f"aging {PAST_DAYS} days ago / raw replay SQL"),
        ("aging_past_vs_delta_sql", "aging_past", "aging past / raw SQL of the report's method"),
        ("profitability", "profitability", "profitability by manager / raw SQL"),
        ("profitability_product_month", "profitability", "profitability by product x month / raw"),
    ):
        for size in ("1x", "2x"):
            ratio = cases[name][f"ratio_{size}"]
            table.append(
                (f"{label} [{size}]", f"{ratio:.2f}x", f"<= {TARGETS[target_key]}x",
                 _verdict(ratio, TARGETS[target_key]))
            )  # fmt: skip
    for name in ("order_states", "cancellations"):
        for size in ("1x", "2x"):
            ratio = cases[name][f"ratio_{size}"]
            table.append((f"{name} / raw SQL [{size}]", f"{ratio:.2f}x", "(shown)", "info"))
    past, today_raw = cases["aging_past"], cases["aging"]
    table.append(
        ("aging past (report) / aging today (raw SQL) [1x]",
         f"{past['report_1x'] / today_raw['raw_1x']:.2f}x", "(shown)", "info")
    )  # fmt: skip
    for name, case in cases.items():
        if name.endswith("_sql"):
            continue
        table.append(
            (f"{name}: time at 2x data / at 1x (raw SQL: {case['growth_raw']:.2f}x)",
             f"{case['growth_report']:.2f}x", f"<= {TARGETS['doubling']}x",
             _verdict(case["growth_report"], TARGETS["doubling"]))
        )  # fmt: skip
    one, two = results["extras_1x"], results["extras_2x"]
    for fmt in ("csv", "xlsx"):
        a, b = one["exports"][fmt]["peak_mib"], two["exports"][fmt]["peak_mib"]
        growth = b / a if a else None
        table.append(
            (f"{fmt} export peak memory, 2x rows / 1x ({a} -> {b} MiB, "
             f"{one['exports']['rows']:,} -> {two['exports']['rows']:,} rows)",
             f"{growth:.2f}x", f"<= {TARGETS['memory']}x (flat)",
             _verdict(growth, TARGETS["memory"]))
        )  # fmt: skip
    for size, d in (("1x", one["dashboards"]), ("2x", two["dashboards"])):
        table.append(
            (f"dashboard margins: summary widget vs raw SQL over lines [{size}]",
             f"{d['margins_widget_s'] * 1000:.1f} / {d['margins_from_lines_raw_s'] * 1000:.1f} ms",
             "summary faster",
             "pass" if d["margins_widget_s"] < d["margins_from_lines_raw_s"] else "miss")
        )  # fmt: skip
        table.append(
            (f"summary refresh: full / incremental after 20 changes [{size}]",
             f"{d['refresh_full']['seconds']:.2f} s / {d['refresh_incremental']['seconds']:.3f} s",
             "(shown)", "info")
        )  # fmt: skip
    return table


def render(results: dict[str, Any]) -> str:
    table = rows_of(results)
    width = max(len(r[0]) for r in table) + 2
    rows = results["pair"]["rows"]
    lines = [
        f"data 1x: {json.dumps(rows['1x'])}",
        f"data 2x: {json.dumps(rows['2x'])}",
        "",
        f"{'figure':<{width}} {'measured':>20}  {'target':<20} status",
        "-" * (width + 52),
    ]
    for figure, measured, target, status in table:
        lines.append(f"{figure:<{width}} {measured:>20}  {target:<20} {status}")
    lines.append("")
    lines.append("medians, ms (report / raw SQL, 1x; 2x):")
    for name, c in results["pair"]["cases"].items():
        lines.append(
            f"  {name:<30} {c['report_1x'] * 1000:9.1f} / {c['raw_1x'] * 1000:9.1f};"
            f" {c['report_2x'] * 1000:9.1f} / {c['raw_2x'] * 1000:9.1f}"
        )
    return "\n".join(lines)


# --- the run ---------------------------------------------------------------------------------------


def _clone(template_url: str, url: str) -> None:
    """CREATE DATABASE <url> TEMPLATE <template> (a file copy: the 1x data set, at once)."""
    import psycopg
    from psycopg import sql

    from bench.__main__ import _admin_url

    admin, name = _admin_url(url)
    _admin, template = _admin_url(template_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def main(argv: list[str] | None = None) -> int:
    from bench import phases
    from bench.__main__ import machine, migrate, pg_info, pg_recreate, say

    p = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="small", help="tiny, small, medium, large or an order count")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_REPORTS_PG_URL", DEFAULT_PG))
    p.add_argument("--repeat", type=int, default=7, help="timed runs per query (median)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--keep-db", action="store_true")
    args = p.parse_args(argv)
    server = pg_info(args.pg_url)
    if "unreachable" in server:
        say(f"PostgreSQL not reachable: {server['unreachable']}")
        return 2
    url_1x, url_2x = args.pg_url, args.pg_url + "_2x"
    env_1x = {"DATABASE_URL": url_1x, "DEBUG": "0"}
    env_2x = {"DATABASE_URL": url_2x, "DEBUG": "0"}
    say(f"reports bench at scale {args.scale}: {url_1x.rsplit('/', 1)[1]} (1x) and _2x")
    started = time.perf_counter()
    results: dict[str, Any] = {"scale": args.scale, "machine": machine(), "server": server}
    try:
        pg_recreate(url_1x)
        migrate(url_1x)
        say("1x: generating")
        results["data_1x"] = phases.call(
            "bench.reports.prepare", env=env_1x, scale=args.scale, seed=args.seed,
            workers=args.workers, progress=print,
        )  # fmt: skip
        say("2x: a copy of 1x and the same size again")
        _clone(url_1x, url_2x)
        results["data_2x"] = phases.call(
            "bench.reports.prepare", env=env_2x, scale=args.scale, seed=args.seed + 1,
            workers=args.workers, progress=print,
        )  # fmt: skip
        say(f"measuring every report and its raw SQL at 1x and 2x (median of {args.repeat})")
        results["pair"] = phases.call(
            "bench.reports.measure_pair",
            env={**env_1x, "DATABASE_REPLICA_URL": url_2x},
            repeat=args.repeat,
        )
        say("dashboards and exports at 1x, then at 2x")
        results["extras_1x"] = phases.call(
            "bench.reports.measure_extras", env=env_1x, repeat=args.repeat
        )
        results["extras_2x"] = phases.call(
            "bench.reports.measure_extras", env=env_2x, repeat=args.repeat
        )
    except phases.PhaseError as exc:
        say(f"failed:\n{exc}")
        return 1
    finally:
        if not args.keep_db:
            for url in (url_1x, url_2x):
                try:
                    pg_recreate(url, drop_only=True)
                except Exception as exc:
                    say(f"could not drop {url}: {exc}")
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = RESULTS / f"{stamp}-reports-{args.scale}.json"
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    print()
    print(render(results))
    print(f"\nresults: {target.relative_to(REPO)}  ({results['seconds']:.0f} s in all)")
    misses = [r for r in rows_of(results) if r[3] == "miss"]
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
