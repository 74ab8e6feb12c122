"""The figures beside their targets (issue 10), as rows and as printed tables (no Django)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# 1M orders "in minutes": we hold the generator to ten of them
GENERATOR_TARGET_SECONDS_PER_1M = 600


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    status: str  # pass | miss | n/a
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _run(block: dict | None, path: str, clients: int) -> dict | None:
    for r in (block or {}).get("throughput", {}).get("runs", []):
        if r["path"] == path and r["clients"] == clients:
            return r
    return None


def _usable(r: dict | None) -> bool:
    return bool(r) and not r.get("skipped") and not r.get("fatal") and r.get("rate", 0) > 0


def _why(*runs: dict | None) -> str:
    for r in runs:
        if not r:
            return "not run"
        if r.get("skipped"):
            return "skipped: " + r["skipped"]
        if r.get("fatal"):
            return "failed: " + r["fatal"].splitlines()[0]
        if not r.get("rate"):
            return "no order completed: " + ", ".join(f"{k} x{v}" for k, v in r["errors"].items())
    return ""


def _ratio_row(figure, num, den, minimum, target, stretch=None) -> Row:
    if not (_usable(num) and _usable(den)):
        return Row(figure, "—", target, "n/a", _why(num, den))
    ratio = num["rate"] / den["rate"]
    status = "pass" if ratio >= minimum else "miss"
    note = f"{num['rate']:.1f} / {den['rate']:.1f} orders/s"
    if stretch is not None and ratio >= stretch:
        note += "; stretch reached"
    return Row(figure, f"{ratio:.1%}", target, status, note)


def targets(results: dict[str, Any]) -> list[Row]:
    pg, lite = results.get("postgresql"), results.get("sqlite")
    rows: list[Row] = []

    for n in (2, 8):
        rows.append(
            _ratio_row(
                f"PG: HTTP API rate / raw SQL rate, {n} clients",
                _run(pg, "api", n),
                _run(pg, "raw", n),
                0.08,
                ">= 8 % (12 % stretch)",
                stretch=0.12,
            )
        )
    for n in (2, 8):
        rows.append(
            _ratio_row(
                f"PG: services rate / raw SQL rate, {n} clients",
                _run(pg, "services", n),
                _run(pg, "raw", n),
                0.0,
                "— (context)",
            )
        )
        rows[-1].status = "n/a" if rows[-1].measured == "—" else "info"

    for db_name, block in (("PG", pg), ("SQLite", lite)):
        statements = (block or {}).get("throughput", {}).get("statements", {})
        for lines in ("5", "20"):
            s = statements.get(lines)
            if s is None:
                rows.append(Row(f"{db_name}: SQL statements per order, {lines} lines", "—",
                                "<= 12", "n/a", "not measured"))  # fmt: skip
                continue
            rows.append(
                Row(
                    f"{db_name}: SQL statements per order, {lines} lines",
                    str(s["total"]),
                    "<= 12",
                    "pass" if s["total"] <= 12 else "miss",
                    f"create {s['create']} + confirm {s['confirm']}, of which "
                    f"{s.get('transaction_control', '?')} transaction control (services, "
                    "CaptureQueriesContext)",
                )
            )

    api_s = (pg or {}).get("throughput", {}).get("api_statements")
    if api_s:
        rows.append(
            Row(
                "PG: SQL statements per order through the API views, 5 lines",
                str(api_s["total"]),
                "<= 12",
                "pass" if api_s["total"] <= 12 else "miss",
                f"create {api_s['create']} + confirm {api_s['confirm']}, of which "
                f"{api_s.get('transaction_control', '?')} transaction control (in-process test client: "
                "token auth, idempotency, response body)",
            )
        )

    for path in ("services", "api"):
        rows.append(
            _ratio_row(
                f"PG: {path}, 8 clients / 2 clients (hot customer)",
                _run(pg, path, 8),
                _run(pg, path, 2),
                0.70,
                ">= 70 %",
            )
        )

    pg_runs = [r for r in (pg or {}).get("throughput", {}).get("runs", []) if not r.get("skipped")]
    if pg_runs:
        deadlocks = sum(r.get("deadlocks", 0) for r in pg_runs)
        retried = sum(
            n
            for r in pg_runs
            for k, n in r.get("retries", {}).items()
            if k in ("deadlock", "serialization_failure")
        )
        failed = sum(
            n
            for r in pg_runs
            for k, n in r.get("errors", {}).items()
            if k in ("deadlock", "serialization_failure", "busy_retry", "http_503_busy_retry")
        )
        rows.append(
            Row(
                "PG: deadlocks (all runs, hot customer)",
                str(deadlocks),
                "0",
                "pass" if deadlocks == 0 and failed == 0 else "miss",
                f"pg_stat_database.deadlocks; {retried} retried in services, {failed} failed",
            )
        )
        lost = sum(
            r["checks"].get("number_gaps_or_doubles", 0) + r["checks"].get("not_confirmed", 0)
            for r in pg_runs
            if r.get("checks")
        )
        broken = [
            r["checks"]["chain_broken"] for r in pg_runs if r.get("checks", {}).get("chain_broken")
        ]
        rows.append(
            Row(
                "PG: lost updates (number gaps/doubles, unconfirmed, broken chains)",
                str(lost + len(broken)),
                "0",
                "pass" if lost == 0 and not broken else "miss",
                "counter row vs orders written, every order confirmed, chains of 50 orders/run",
            )
        )
    else:
        rows.append(Row("PG: deadlocks (all runs, hot customer)", "—", "0", "n/a", "not run"))
        rows.append(Row("PG: lost updates", "—", "0", "n/a", "not run"))

    rows.append(
        _ratio_row(
            "SQLite: services rate / plain sqlite3 rate, 1 writer",
            _run(lite, "services", 1),
            _run(lite, "raw", 1),
            0.15,
            ">= 15 %",
        )
    )
    rows.append(
        _ratio_row(
            "SQLite: services, 8 writers / 1 writer",
            _run(lite, "services", 8),
            _run(lite, "services", 1),
            0.80,
            ">= 80 %",
        )
    )
    lite_runs = [
        r for r in (lite or {}).get("throughput", {}).get("runs", []) if not r.get("skipped")
    ]
    if lite_runs:
        locked = sum(
            n
            for r in lite_runs
            for src in ("errors", "retries")
            for k, n in r.get(src, {}).items()
            if k in ("database_is_locked", "busy_retry")
        )
        rows.append(
            Row(
                'SQLite: "database is locked" errors (incl. retried)',
                str(locked),
                "0",
                "pass" if locked == 0 else "miss",
                "services and sqlite3, 1 and 8 writers",
            )
        )
    else:
        rows.append(Row('SQLite: "database is locked" errors', "—", "0", "n/a", "not run"))

    gen = (pg or {}).get("generate")
    if gen and gen["rows"]["orders"] < 20_000:
        rows.append(
            Row("PG generator: time for 1M orders (projected from this run)", "—", "<= 10 min",
                "n/a", "this scale is too small to project from; use --scale small or larger")
        )  # fmt: skip
    elif gen and gen.get("orders_per_second"):
        per_1m = 1_000_000 / gen["orders_per_second"]
        rows.append(
            Row(
                "PG generator: time for 1M orders (projected from this run)",
                f"{per_1m / 60:.1f} min",
                f"<= {GENERATOR_TARGET_SECONDS_PER_1M // 60} min",
                "pass" if per_1m <= GENERATOR_TARGET_SECONDS_PER_1M else "miss",
                f"{gen['rows']['orders']:,} orders, {gen['rows']['order_lines']:,} lines, "
                f"{gen['rows']['events']:,} events at {gen['orders_per_second']:,.0f} orders/s",
            )
        )
    rows.append(
        Row("No external call inside a transaction", "—", "none", "n/a",
            "no external calls exist yet (no webhooks/payment services)")
    )  # fmt: skip
    rows.append(
        Row("Order rate at 10M lines / at 1M lines", "—", ">= 90 %", "n/a",
            "needs two runs: --scale large and --scale xlarge; compare their JSON")
    )  # fmt: skip
    return rows


def measurements(results: dict[str, Any]) -> list[list[str]]:
    table = []
    for key in ("postgresql", "sqlite"):
        block = results.get(key) or {}
        for r in block.get("throughput", {}).get("runs", []):
            if r.get("skipped"):
                table.append(
                    [key, r["path"], str(r["clients"]), "skipped", "", "", r["skipped"][:60]]
                )
                continue
            errors = ", ".join(f"{k}×{v}" for k, v in r["errors"].items()) or "0"
            rounds = "/".join(f"{x:.0f}" for x in r.get("repeats") or [])
            retries = ", ".join(f"{k}×{v}" for k, v in r.get("retries", {}).items())
            table.append([
                key, r["path"], str(r["clients"]),
                f"{r['rate']:.1f}" + (f" ({rounds})" if rounds else ""), f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}", errors + (f" (retried: {retries})" if retries else "")
                + (" FATAL" if r.get("fatal") else ""),
            ])  # fmt: skip
    return table


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=False)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(out)


def render(results: dict[str, Any]) -> str:
    parts = []
    latency = (results.get("postgresql") or {}).get("throughput", {}).get("latency")
    if latency:
        parts.append(
            f"PostgreSQL here: one statement round trip {latency['select_1_ms']} ms, one "
            f"flushed commit {latency['commit_flushed_ms']} ms (medians); load average "
            f"{results.get('machine', {}).get('load_avg_at_start')} at start"
        )
    m = measurements(results)
    if m:
        parts.append(
            format_table(["db", "path", "clients", "orders/s", "p50 ms", "p99 ms", "errors"], m)
        )
    rows = results.get("targets_rows") or [r.as_dict() for r in targets(results)]
    parts.append(
        format_table(
            ["figure", "measured", "target", "pass/miss"],
            [[r["figure"], r["measured"], r["target"], r["status"]] for r in rows],
        )
    )
    notes = [f"- {r['figure']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        parts.append("notes:\n" + "\n".join(notes))
    return "\n\n".join(parts)
