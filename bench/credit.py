"""Credit check time while a customer's ledger grows (issue 6).

`python -m bench.credit [--sizes 10,100,1000,10000] [--repeat 20] [--pg-url URL | --only sqlite]`

Each database gets a fresh one (a temporary SQLite file; on PostgreSQL the database named in
the URL, default orderdesk_bench_credit, dropped and created), migrated, then one process
builds a customer with a credit limit and a contract and grows its receivables ledger in two
ways, timing `credit.services.check` (the check a confirmation runs, with the account lock,
inside a transaction) at each size — the median of `--repeat` checks and the queries one
check takes:

- `open items`: N open debit items (what the customer owes, none paid);
- `settled history`: 10 open items plus N fully settled ones (years of paid invoices).

The check reads open rows only (`open_amount > 0`, the partial index
`receivables_item_open`), the committed amount from one `CreditAccount` row and the limits
from one query: its query count is constant, its time flat over a settled history; over N
*open* items it is one SUM over N index rows.
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


def measure(sizes: tuple[int, ...] = (10, 100, 1000, 10_000), repeat: int = 20) -> dict[str, Any]:
    """Build the customer and time the check at each ledger size (inside a Django process)."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from orderdesk.credit import services as credit
    from orderdesk.customers.models import Customer
    from orderdesk.receivables.models import OpenItem

    D = Decimal
    today = dt.date.today()
    admin = User.objects.create_user("bench-admin", password="x", is_superuser=True)

    def customer(code: str) -> Customer:
        return Customer.objects.create(
            legal_name=f"Bench {code}", short_name=code, tax_id=code.rjust(8, "0")[:8],
            manager=admin,
        )  # fmt: skip

    def grow(c: Customer, count: int, *, settled: bool, start: int) -> None:
        OpenItem.objects.bulk_create(
            [
                OpenItem(
                    customer=c,
                    currency_id="UAH",
                    side="debit",
                    kind="invoice",
                    doc_type="invoice",
                    doc_id=start + i,
                    doc_number=f"B-{start + i}",
                    posting_date=today - dt.timedelta(days=5),
                    due_date=today + dt.timedelta(days=30),
                    amount=D("100"),
                    open_amount=D("0") if settled else D("100"),
                    rate=D("1"),
                    base_amount=D("100"),
                )
                for i in range(count)
            ],
            batch_size=2000,
        )

    def time_check(c: Customer) -> tuple[float, int]:
        timings = []
        for _ in range(repeat + 1):
            with transaction.atomic():
                started = time.perf_counter()
                credit.check(customer=c, amount=D("1000"), stage="confirm", order_id=1)
                timings.append(time.perf_counter() - started)
        with transaction.atomic(), CaptureQueriesContext(connection) as q:
            credit.check(customer=c, amount=D("1000"), stage="confirm", order_id=1)
        return statistics.median(timings[1:]), len(q)

    rows: list[dict[str, Any]] = []
    for kind in ("open items", "settled history"):
        c = customer("OPEN" if kind == "open items" else "HIST")
        credit.limit_set(by=admin, customer=c, amount="100000000", mode="block_confirmation",
                         overdue_days=30)  # fmt: skip
        have = 0
        if kind == "settled history":
            grow(c, 10, settled=False, start=10**8)
        for size in sizes:
            grow(
                c,
                size - have,
                settled=(kind == "settled history"),
                start=have + (10**7 if kind != "open items" else 0),
            )
            have = size
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("ANALYZE receivables_openitem")
            seconds, queries = time_check(c)
            rows.append({"kind": kind, "size": size, "seconds": seconds, "queries": queries})
    return {"vendor": connection.vendor, "rows": rows}


def render(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'database':<12}{'ledger':<18}{'items':>8}{'check, ms':>12}{'queries':>9}{'× at 10':>9}"
    )
    out = [head, "-" * len(head)]
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
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from . import phases
    from .__main__ import migrate, pg_info, pg_recreate

    p = argparse.ArgumentParser(prog="python -m bench.credit", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10,100,1000,10000")
    p.add_argument("--repeat", type=int, default=20)
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
