"""Credit check time while a customer's ledger grows (issue 6): flat from 10 to 10 000 items.

`python -m bench.credit [--sizes 10,100,1000,10000] [--repeat 30] [--pg-url URL | --only sqlite]`

Each database gets a fresh one (a temporary SQLite file; on PostgreSQL the database named in
the URL, default orderdesk_bench_credit, dropped and created), migrated, then one process
builds, for every size N, a customer with a credit limit (block at confirmation, 30 days of
overdue tolerated) and a ledger of two kinds, and times `credit.services.check` (the check a
confirmation runs, with the account lock, inside a transaction) — the median of `--repeat`
checks and the queries one check takes:

- `open items`: N open debit items (what the customer owes, none paid; 5 of them past due,
  the rest current);
- `settled history`: 10 open items plus N fully settled ones (years of paid invoices).

The items are bulk-loaded and the customer's stored balance (`receivables.CustomerBalance`,
which the ledger services keep on every write) is then rebuilt from them. The customers of all
sizes are timed round-robin, one check each per round, so a load change on the machine hits
every size alike.

The check reads the stored balance (one row per customer), the committed amount from one
`CreditAccount` row, the limits from one query and the overdue items over the partial index
`receivables_item_open_debit`: nothing it reads grows with the number of open items. The
target: the check at the largest size within 1.5 x of the smallest (`TARGET`), per database
and ledger kind — `pass` or `miss` beside the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/orderdesk_bench_credit"
TARGET = 1.5  # the check at the largest size / at the smallest: flat
OVERDUE = 5  # open items past due in every "open items" ledger


def measure(sizes: tuple[int, ...] = (10, 100, 1000, 10_000), repeat: int = 30) -> dict[str, Any]:
    """Build a customer per size and kind and time the check on each (inside a Django
    process)."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from orderdesk.credit import services as credit
    from orderdesk.customers.models import Customer
    from orderdesk.receivables import services as ledger
    from orderdesk.receivables.models import OpenItem

    D = Decimal
    today = dt.date.today()
    admin = User.objects.create_user("bench-admin", password="x", is_superuser=True)
    next_doc = iter(range(1, 10**9))

    def customer(code: str) -> Customer:
        return Customer.objects.create(
            legal_name=f"Bench {code}", short_name=code, tax_id=code.rjust(8, "0")[-8:],
            manager=admin,
        )  # fmt: skip

    def items(c: Customer, count: int, *, settled: bool = False, overdue: bool = False):
        due = today + dt.timedelta(days=-10 if overdue else 30)
        for _ in range(count):
            doc = next(next_doc)
            yield OpenItem(
                customer=c, currency_id="UAH", side="debit", kind="invoice", doc_type="invoice",
                doc_id=doc, doc_number=f"B-{doc}", posting_date=today - dt.timedelta(days=40),
                due_date=due, amount=D("100"), open_amount=D("0") if settled else D("100"),
                rate=D("1"), base_amount=D("100"),
            )  # fmt: skip

    def build(kind: str, size: int) -> Customer:
        c = customer(f"{'O' if kind == 'open items' else 'H'}{size}")
        credit.limit_set(by=admin, customer=c, amount="100000000", mode="block_confirmation",
                         overdue_days=30)  # fmt: skip
        if kind == "open items":
            rows = [*items(c, OVERDUE, overdue=True), *items(c, size - OVERDUE)]
        else:
            rows = [*items(c, 10), *items(c, size, settled=True)]
        OpenItem.objects.bulk_create(rows, batch_size=2000)
        ledger.balances_rebuild(customer_ids=[c.pk])
        return c

    def check(c: Customer) -> float:
        with transaction.atomic():
            started = time.perf_counter()
            credit.check(customer=c, amount=D("1000"), stage="confirm", order_id=1)
            return time.perf_counter() - started

    rows: list[dict[str, Any]] = []
    for kind in ("open items", "settled history"):
        built = [(size, build(kind, size)) for size in sizes]
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE receivables_openitem")
                cur.execute("ANALYZE receivables_customerbalance")
        timings: dict[int, list[float]] = {size: [] for size in sizes}
        for c in (c for _size, c in built):  # warm-up
            check(c)
        for _ in range(repeat):
            for size, c in built:
                timings[size].append(check(c))
        for size, c in built:
            with transaction.atomic(), CaptureQueriesContext(connection) as q:
                a = credit.check(customer=c, amount=D("1000"), stage="confirm", order_id=1)
            open_items = size if kind == "open items" else 10
            assert a.receivables == D(100) * open_items, (kind, size, a.receivables)
            rows.append(
                {"kind": kind, "size": size, "seconds": statistics.median(timings[size]),
                 "queries": len(q)}
            )  # fmt: skip
    return {"vendor": connection.vendor, "rows": rows}


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per ledger kind: the check at the largest size / at the smallest, against `TARGET`."""
    out = []
    kinds = dict.fromkeys(r["kind"] for r in result["rows"])
    for kind in kinds:
        rows = sorted((r for r in result["rows"] if r["kind"] == kind), key=lambda r: r["size"])
        first, last = rows[0], rows[-1]
        ratio = last["seconds"] / first["seconds"]
        out.append({"kind": kind, "small": first["size"], "large": last["size"], "ratio": ratio,
                    "verdict": "pass" if ratio <= TARGET else "miss"})  # fmt: skip
    return out


def render(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'database':<12}{'ledger':<18}{'items':>8}{'check, ms':>12}{'queries':>9}{'× at 10':>9}"
    )
    out = [head, "-" * len(head)]
    summary = []
    for r in results:
        if "error" in r:
            out.append(f"{r.get('database', '?'):<12}failed")
            continue
        first: dict[str, float] = {}
        for row in r["rows"]:
            base = first.setdefault(row["kind"], row["seconds"])
            out.append(
                f"{r['vendor']:<12}{row['kind']:<18}{row['size']:>8,}{row['seconds'] * 1000:>12.2f}"
                f"{row['queries']:>9}{row['seconds'] / base:>9.2f}"
            )
        for v in verdicts(r):
            summary.append(
                f"{r['vendor']:<12}{v['kind']:<18}{v['large']:,} vs {v['small']:,}: "
                f"{v['ratio']:.2f}x (target <= {TARGET}x) {v['verdict']}"
            )
    return "\n".join([*out, "", *summary])


def main(argv: list[str] | None = None) -> int:
    from . import phases
    from .__main__ import migrate, pg_info, pg_recreate

    p = argparse.ArgumentParser(prog="python -m bench.credit", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10,100,1000,10000")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--pg-url", default=os.environ.get("BENCH_CREDIT_PG_URL", DEFAULT_PG))
    p.add_argument("--only", choices=["postgresql", "sqlite"])
    args = p.parse_args(argv)
    kwargs = {"sizes": tuple(int(x) for x in args.sizes.split(",")), "repeat": args.repeat}
    results: list[dict[str, Any]] = []
    if args.only in (None, "sqlite"):
        tmp = tempfile.mkdtemp(prefix="orderdesk-bench-credit-")
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        try:
            migrate(url)
            results.append(
                phases.call(
                    "bench.credit.measure", env={"DATABASE_URL": url, "DEBUG": "0"}, **kwargs
                )
            )
        except phases.PhaseError as exc:
            results.append({"database": "sqlite", "error": str(exc)})
            print(exc, file=sys.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.only in (None, "postgresql"):
        if "unreachable" in pg_info(args.pg_url):
            print(f"PostgreSQL not reachable at {args.pg_url}: skipped", file=sys.stderr)
        else:
            try:
                pg_recreate(args.pg_url)
                migrate(args.pg_url)
                env = {"DATABASE_URL": args.pg_url, "DEBUG": "0"}
                results.append(phases.call("bench.credit.measure", env=env, **kwargs))
            except phases.PhaseError as exc:
                results.append({"database": "postgresql", "error": str(exc)})
                print(exc, file=sys.stderr)
            finally:
                pg_recreate(args.pg_url, drop_only=True)
    print(render(results))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
