"""Pricing figures: the time to price a 100-line order and to import 10,000 price rows.

`python -m bench.pricing [--lines 100] [--rows 10000] [--repeat 5] [--pg-url URL | --only sqlite]`

Each database gets a fresh one (a temporary SQLite file; on PostgreSQL the database named in
the URL, default orderdesk_bench_pricing, dropped and created), migrated, then one process
sets up a priced world and measures, through the services:

- `price order`: orders.services.order_create of a draft with N lines under a contract with
  individual prices, a group price list with quantity breaks, a derived list's products and
  three discount policies (the contract price, list, break, policy and deviation code all
  run); the median of `--repeat` orders, and the queries one order takes;
- `deviations`: orders.deviations.order_deviations of that order;
- `import preview` / `import apply`: pricing.services.price_import_preview and
  price_import_apply of a CSV of M rows (one price per product), into an empty list.

Import only the entry points here; the measuring functions run after django.setup()
(bench.phases does that).
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

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/orderdesk_bench_pricing"


def measure(lines: int = 100, rows: int = 10_000, repeat: int = 5) -> dict[str, Any]:
    """Build the world and time the pricing paths (runs inside a set-up Django process)."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orderdesk.catalog.models import Product, ProductGroup, Warehouse
    from orderdesk.customers.models import Customer, CustomerGroup, PaymentMethod, PaymentTerms
    from orderdesk.orders.deviations import order_deviations
    from orderdesk.orders.services import LineInput, order_create
    from orderdesk.pricing import services as pricing
    from orderdesk.pricing.models import Contract, ContractPrice, PriceList, PriceListItem

    D = Decimal
    today = dt.date.today()
    admin = User.objects.create_user("bench-admin", password="x", is_superuser=True)
    manager = User.objects.create_user("bench-manager", password="x")
    manager.groups.add(Group.objects.get(name="sales_manager"))
    Warehouse.objects.get_or_create(code="MAIN", defaults={"name": "Main"})
    groups = [ProductGroup.objects.create(code=f"G{i}", name=f"Group {i}") for i in range(5)]
    total = max(rows, lines)
    Product.objects.bulk_create(
        [
            Product(
                sku=f"B-{i:06d}",
                name=f"Bench product {i}",
                cost_price=D("40"),
                group=groups[i % len(groups)],
            )
            for i in range(total)
        ],
        batch_size=2000,
    )
    products = list(Product.objects.order_by("pk")[:lines])
    wholesale = CustomerGroup.objects.create(code="BENCH-W", name="Wholesale")
    base = PriceList.objects.create(code="BENCH-BASE", name="Base", currency_id="UAH")
    base.customer_groups.add(wholesale)
    PriceListItem.objects.bulk_create(
        [
            PriceListItem(price_list=base, product=p, price=D("100"), valid_from=dt.date(2020, 1, 1))
            for p in products
        ]
        + [
            PriceListItem(
                price_list=base, product=p, price=D("95"), min_quantity=D("10"),
                valid_from=dt.date(2020, 1, 1),
            )
            for p in products[::2]
        ]
    )  # fmt: skip
    customer = Customer.objects.create(
        legal_name="ТОВ «Бенч»", short_name="Бенч", tax_id="39999999", manager=manager,
        group=wholesale,
    )  # fmt: skip
    contract = Contract.objects.create(
        customer=customer, number="B/1", date=today, valid_from=dt.date(2020, 1, 1),
        currency_id="UAH", payment_terms=PaymentTerms.objects.get(code="net14"),
        payment_method=PaymentMethod.objects.get(code="bank"), max_manual_discount=D("10"),
        is_default=True,
    )  # fmt: skip
    ContractPrice.objects.bulk_create(
        [
            ContractPrice(
                contract=contract, product=p, price=D("90"), valid_from=dt.date(2020, 1, 1)
            )
            for p in products[::5]
        ]
    )
    for code, kind, extra in (
        ("B-GROUP", "customer_group", {"customer_group": wholesale.pk, "percent": "3"}),
        ("B-PGROUP", "product_group", {"product_group": groups[0].pk, "percent": "2",
                                       "stacking": "compound"}),
        ("B-QTY", "quantity", {"tiers": [{"from": "10", "percent": "1"},
                                         {"from": "50", "percent": "2"}], "stacking": "additive"}),
    ):  # fmt: skip
        pricing.discount_policy_create(
            by=admin, code=code, name=code, kind=kind, valid_from=dt.date(2020, 1, 1),
            **{"stacking": "additive", **extra},
        )  # fmt: skip

    order_lines = [
        LineInput(
            product=p.pk,
            quantity=D(str(1 + (i % 60))),
            discount_percent=D("2") if i % 7 == 0 else None,
        )
        for i, p in enumerate(products)
    ]
    order_create(by=manager, customer=customer, lines=order_lines[:5])  # warm up
    timings, queries = [], 0
    order = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            order = order_create(by=manager, customer=customer, lines=order_lines)
            timings.append(time.perf_counter() - started)
        queries = len(ctx.captured_queries)
    from orderdesk.orders.selectors import order_get_for

    card = order_get_for(user=admin, pk=order.pk)
    started = time.perf_counter()
    found = order_deviations(card)
    deviation_seconds = time.perf_counter() - started

    target = PriceList.objects.create(code="BENCH-IMPORT", name="Import", currency_id="UAH")
    skus = Product.objects.order_by("pk").values_list("sku", flat=True)[:rows]
    text = "sku;price;min_quantity;valid_from;valid_to\n" + "".join(
        f"{sku};{100 + i % 50},{i % 100:02d};;01.11.2026;\n" for i, sku in enumerate(skus)
    )
    started = time.perf_counter()
    preview = pricing.price_import_preview(
        by=admin, price_list=target, file=text.encode("utf-8"), file_name="bench.csv"
    )
    preview_seconds = time.perf_counter() - started
    started = time.perf_counter()
    applied = pricing.price_import_apply(by=admin, price_import=preview.price_import)
    apply_seconds = time.perf_counter() - started
    return {
        "vendor": connection.vendor,
        "lines": lines,
        "price_order_seconds": round(statistics.median(timings), 4),
        "price_order_seconds_all": [round(t, 4) for t in timings],
        "price_order_queries": queries,
        "deviations_seconds": round(deviation_seconds, 4),
        "deviations_found": len(found),
        "import_rows": len(preview.rows),
        "import_errors": len(preview.errors),
        "import_preview_seconds": round(preview_seconds, 3),
        "import_apply_seconds": round(apply_seconds, 3),
        "import_added": applied.added,
    }


def render(results: list[dict[str, Any]]) -> str:
    head = f"{'database':<12}{'figure':<44}{'measured':>14}"
    out = [head, "-" * len(head)]
    for r in results:
        name = r.get("vendor", r.get("database", "?"))
        if "error" in r:
            out.append(f"{name:<12}{'failed':<44}{'—':>14}")
            continue
        rows = [
            (f"price a {r['lines']}-line order (median)", f"{r['price_order_seconds'] * 1000:.0f} ms"),
            ("  queries for that order", f"{r['price_order_queries']}"),
            ("deviations of that order", f"{r['deviations_seconds'] * 1000:.0f} ms"),
            (f"import {r['import_rows']:,} price rows: preview", f"{r['import_preview_seconds']:.2f} s"),
            (f"import {r['import_rows']:,} price rows: apply", f"{r['import_apply_seconds']:.2f} s"),
            (
                f"import {r['import_rows']:,} price rows: total",
                f"{r['import_preview_seconds'] + r['import_apply_seconds']:.2f} s",
            ),
        ]  # fmt: skip
        out += [f"{name:<12}{figure:<44}{value:>14}" for figure, value in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from . import phases
    from .__main__ import migrate, pg_info, pg_recreate

    p = argparse.ArgumentParser(prog="python -m bench.pricing", description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=100)
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PRICING_PG_URL", DEFAULT_PG))
    p.add_argument("--only", choices=["postgresql", "sqlite"])
    args = p.parse_args(argv)
    kwargs = {"lines": args.lines, "rows": args.rows, "repeat": args.repeat}
    results: list[dict[str, Any]] = []
    if args.only in (None, "sqlite"):
        tmp = tempfile.mkdtemp(prefix="orderdesk-bench-pricing-")
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        try:
            migrate(url)
            results.append(
                phases.call(
                    "bench.pricing.measure", env={"DATABASE_URL": url, "DEBUG": "0"}, **kwargs
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
                results.append(phases.call("bench.pricing.measure", env=env, **kwargs))
            except phases.PhaseError as exc:
                results.append({"database": "postgresql", "error": str(exc)})
                print(exc, file=sys.stderr)
            finally:
                pg_recreate(args.pg_url, drop_only=True)
    print(render(results))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
