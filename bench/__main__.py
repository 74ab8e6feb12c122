"""`python -m bench [--scale NAME|N] [--grow-to NAME|N]`: generate, measure, print the table.

PostgreSQL: a dedicated database (default orderdesk_bench, dropped and created here, migrated
with `orderdesk migrate`), bulk-loaded, then raw SQL / services / HTTP API runs with 2 and 8
clients. SQLite: a temporary file, loaded with executemany, raw sqlite3 / services with 1 and
8 writers. On each database the payment services' outbound calls are then made against a
local fake provider and checked for an open transaction (bench.external). `--grow-to`
(PostgreSQL) generates more orders into the same database after the runs and measures
again: the order rate at the larger size against the first. Results go to
bench/results/<time>-<scale>.json; the tables to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import phases, report
from .scales import NAMED, Scale

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/orderdesk_bench"


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="small", help=f"{', '.join(NAMED)} or a number of orders")
    p.add_argument("--sqlite-scale", default="", help="SQLite data size (default: small at most)")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per throughput run")
    p.add_argument("--repeat", type=int, default=1, help="rounds per run; the median stands")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    p.add_argument("--only", choices=["postgresql", "sqlite"], help="one database only")
    p.add_argument("--no-http", action="store_true", help="skip the gunicorn/API runs")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="generator processes")
    p.add_argument("--gunicorn-workers", type=int, default=0, help="default 2 x cores + 1")
    p.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL bench database")
    p.add_argument("--check", action="store_true", help="check the generated data (slow at 1M+)")
    p.add_argument(
        "--statements-only",
        action="store_true",
        help="count the SQL statements per order (services and API views), no throughput runs",
    )
    p.add_argument(
        "--grow-to",
        default="",
        help="PostgreSQL: after measuring at --scale, generate more orders into the same "
        "database up to this scale and measure again (order rate at 10M lines / at 1M lines: "
        "--scale medium --grow-to xlarge)",
    )
    p.add_argument("--seed", type=int, default=20260101)
    args = p.parse_args(argv)
    if args.grow_to and Scale.of(args.grow_to).orders <= Scale.of(args.scale).orders:
        p.error("--grow-to must be a larger scale than --scale")
    return args


# --- helpers run in this process (no Django here) --------------------------------------------


def orderdesk_command() -> list[str]:
    script = Path(sys.executable).with_name("orderdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "orderdesk"]


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    subprocess.run(
        [*orderdesk_command(), "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True
    )


def _admin_url(url: str) -> tuple[str, str]:
    base, name = url.rsplit("/", 1)
    return base.replace("postgres://", "postgresql://", 1) + "/postgres", name.split("?")[0]


def pg_recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_info(url: str) -> dict[str, str]:
    import psycopg

    try:
        with psycopg.connect(_admin_url(url)[0], connect_timeout=5) as conn:
            info = {"version": conn.execute("SELECT version()").fetchone()[0]}
            for setting in ("synchronous_commit", "fsync", "shared_buffers", "wal_level",
                            "max_connections", "work_mem"):  # fmt: skip
                info[setting] = conn.execute(f"SHOW {setting}").fetchone()[0]
            return info
    except Exception as exc:
        return {"unreachable": str(exc).strip()}


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


# --- the two databases -----------------------------------------------------------------------


def run_postgres(args, scale: Scale) -> dict[str, Any]:
    out: dict[str, Any] = {"url": args.pg_url, "server": pg_info(args.pg_url)}
    if "unreachable" in out["server"]:
        say(f"PostgreSQL not reachable ({out['server']['unreachable']}): its figures are n/a")
        out["skipped"] = "PostgreSQL not reachable"
        return out
    env = {"DATABASE_URL": args.pg_url, "DEBUG": "0"}
    try:
        say(f"PostgreSQL: recreating {args.pg_url.rsplit('/', 1)[1]} and migrating")
        pg_recreate(args.pg_url)
        migrate(args.pg_url)
        say(f"PostgreSQL: generating {scale.orders:,} orders ({args.workers} processes, COPY)")
        out["generate"] = phases.call(
            "bench.generate.generate", env=env, scale=scale.name, seed=args.seed,
            workers=args.workers, fast=True, progress=print,
        )  # fmt: skip
        g = out["generate"]
        say(
            f"PostgreSQL: generated in {g['seconds']['total']:.1f} s "
            f"({g['orders_per_second']:,.0f} orders/s)"
        )
        if args.check or scale.orders <= NAMED["small"]:
            out["check"] = phases.call(
                "bench.generate.check", env=env, first_order_id=g["first_order_id"]
            )
            say(f"PostgreSQL: data check {out['check']}")
        paths = ("raw", "services") if args.no_http else ("raw", "services", "api")
        measure = {
            "env": env, "duration": args.duration, "clients": (2, 8), "paths": paths,
            "gunicorn_workers": args.gunicorn_workers, "log_dir": str(RESULTS),
            "repeat": args.repeat, "progress": print, "statements_only": args.statements_only,
        }  # fmt: skip
        out["throughput"] = phases.call("bench.throughput.measure", **measure)
        external(out, env, "PostgreSQL")
        if args.grow_to and not args.statements_only:
            grow(args, out, env, scale, measure)
    except phases.PhaseError as exc:
        say(f"PostgreSQL: a step failed:\n{exc}")
        out["error"] = str(exc)
    finally:
        if not args.keep_db:
            try:
                pg_recreate(args.pg_url, drop_only=True)
            except Exception as exc:  # the figures are still worth printing
                say(f"could not drop the bench database: {exc}")
    return out


def external(out: dict[str, Any], env: dict[str, str], name: str) -> None:
    """The payment services' outbound calls against a local fake provider, each checked for
    an open transaction (bench.external); a failure is recorded, the rest still counts."""
    try:
        out["external"] = e = phases.call("bench.external.measure", env=env)
        say(f"{name}: {e['calls']} outbound calls, {len(e['misses'])} inside a transaction "
            f"({e['seconds']} s)")  # fmt: skip
    except phases.PhaseError as exc:
        out["external_error"] = str(exc)
        say(f"{name}: the external-call check failed:\n{exc}")


def grow(args, out: dict[str, Any], env: dict[str, str], scale: Scale, measure: dict) -> None:
    """Generate orders into the same database up to --grow-to, then measure again: the
    order rate at the larger size against the rate at --scale."""
    target = Scale.of(args.grow_to)
    more = target.orders - scale.orders
    say(f"PostgreSQL: growing to {target.orders:,} orders (+{more:,}, {args.workers} processes)")
    g = phases.call(
        "bench.generate.generate", env=env, scale=more, seed=args.seed + 1,
        workers=args.workers, fast=True, progress=print,
    )  # fmt: skip
    first = out["generate"]["rows"]
    out["grown"] = {
        "to": target.as_dict(),
        "generate": g,
        "orders_before": first["orders"],
        "lines_before": first["order_lines"],
        "orders_after": first["orders"] + g["rows"]["orders"],
        "lines_after": first["order_lines"] + g["rows"]["order_lines"],
    }
    say(f"PostgreSQL: {out['grown']['lines_after']:,} order lines now; measuring again")
    out["throughput_grown"] = phases.call("bench.throughput.measure", **measure)


def run_sqlite(args, scale: Scale) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="orderdesk-bench-")
    path = Path(tmp) / "bench.sqlite3"
    url = f"sqlite:///{path}"
    env = {"DATABASE_URL": url, "DEBUG": "0"}
    out: dict[str, Any] = {"file": str(path)}
    try:
        say(f"SQLite: migrating {path}")
        migrate(url)
        say(f"SQLite: generating {scale.orders:,} orders (executemany)")
        out["generate"] = phases.call(
            "bench.generate.generate", env=env, scale=scale.name, seed=args.seed, workers=1,
            progress=print,
        )  # fmt: skip
        out["throughput"] = phases.call(
            "bench.throughput.measure", env=env, duration=args.duration, clients=(1, 8),
            paths=("raw", "services"), repeat=args.repeat, progress=print,
            statements_only=args.statements_only,
        )  # fmt: skip
        external(out, env, "SQLite")
    except phases.PhaseError as exc:
        say(f"SQLite: a step failed:\n{exc}")
        out["error"] = str(exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    scale = Scale.of(args.scale)
    lite_scale = Scale.of(args.sqlite_scale) if args.sqlite_scale else (
        scale if scale.orders <= NAMED["small"] else Scale.of("small")
    )  # fmt: skip
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "scale": scale.as_dict(),
        "sqlite_scale": lite_scale.as_dict(),
        "args": vars(args),
    }
    say(f"bench at scale {scale.name}: {scale.orders:,} orders; {results['machine']}")
    if args.only in (None, "postgresql"):
        results["postgresql"] = run_postgres(args, scale)
    if args.only in (None, "sqlite"):
        results["sqlite"] = run_sqlite(args, lite_scale)
    results["targets_rows"] = [r.as_dict() for r in report.targets(results)]
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = RESULTS / f"{stamp}-{scale.name}.json"
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    print()
    print(report.render(results))
    print(f"\nresults: {target.relative_to(REPO)}  ({results['seconds']:.0f} s in all)")
    failed = any("error" in (results.get(k) or {}) for k in ("postgresql", "sqlite"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
