"""The figures beside their targets (issue 10), as rows and as printed tables (no Django)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# 1M orders "in minutes": we hold the generator to ten of them
GENERATOR_TARGET_SECONDS_PER_1M = 600
# what a race between clients would break (bench.throughput._checks counts each per run):
# numbers, statuses, the rows every order needs, and the two shared counters every client
# moves (the hot customer's committed amount, the hot warehouse's reserved stock)
LOST_UPDATE_KEYS = (
    "number_gaps_or_doubles", "not_confirmed", "other_customer", "not_released",
    "lines_without_reservation", "lines_without_release", "commitments_wrong",
    "committed_drift", "reserved_drift", "data_problems",
)  # fmt: skip


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    status: str  # pass | miss | n/a
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _run(block: dict | None, path: str, clients: int, key: str = "throughput") -> dict | None:
    for r in (block or {}).get(key, {}).get("runs", []):
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

    for db_name, block in (("PG", pg), ("SQLite", lite)):
        raw = (block or {}).get("throughput", {}).get("raw_statements", {})
        for lines in ("5", "20"):
            s = raw.get(lines)
            if s is None:
                continue
            per = " + ".join(f"{k} {v}" for k, v in s["transactions"].items())
            rows.append(
                Row(
                    f"{db_name}: raw SQL statements per order, {lines} lines",
                    str(s["total"]),
                    "— (context)",
                    "info",
                    f"{per} data statements + {s['transaction_control']} BEGIN/COMMIT: the "
                    "same rows as the services, hand-written (bench.clients.RawClient)",
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
                f"one request (create with confirm: true, Prefer: return=minimal), of which "
                f"{api_s.get('transaction_control', '?')} transaction control (in-process test "
                "client: token auth, response body)",
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
        rows.append(_lost_updates_row("PG", pg_runs))
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
        rows.append(_lost_updates_row("SQLite", lite_runs))
    else:
        rows.append(Row('SQLite: "database is locked" errors', "—", "0", "n/a", "not run"))
        rows.append(Row("SQLite: lost updates", "—", "0", "n/a", "not run"))

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
    rows.append(_external_row(results))
    rows.extend(_growth_rows(results))
    return rows


def _lost_updates_row(db_name: str, runs: list[dict]) -> Row:
    lost = {key: sum(r.get("checks", {}).get(key, 0) for r in runs) for key in LOST_UPDATE_KEYS}
    broken = [r["checks"]["chain_broken"] for r in runs if r.get("checks", {}).get("chain_broken")]
    total = sum(lost.values()) + len(broken)
    found = ", ".join(f"{k} {v}" for k, v in lost.items() if v)
    return Row(
        f"{db_name}: lost updates (numbers, statuses, order rows, shared counters, chains)",
        str(total),
        "0",
        "pass" if total == 0 else "miss",
        (found + "; " if found else "")
        + (f"broken chain {broken[0]}; " if broken else "")
        + "every run: number counter vs orders, each order confirmed and released with its "
        "commitment, reservations and release lines, the account's committed amount and the "
        "warehouse's reserved stock moved by exactly the new rows, the generator's data check "
        "on the new orders, chains and heads of 50 orders",
    )


def _external_row(results: dict[str, Any]) -> Row:
    figure = "No external call inside a transaction"
    done = {
        name: block["external"]
        for name, block in (("PG", results.get("postgresql")), ("SQLite", results.get("sqlite")))
        if (block or {}).get("external")
    }
    if not done:
        why = next(
            (
                block["external_error"].splitlines()[0]
                for block in (results.get("postgresql"), results.get("sqlite"))
                if (block or {}).get("external_error")
            ),
            "not run",
        )
        return Row(figure, "—", "none", "n/a", why)
    calls = sum(e["calls"] for e in done.values())
    misses = [m for e in done.values() for m in e["misses"]]
    where = "; ".join(sorted({m["where"] for m in misses}))
    status = "miss" if misses else ("pass" if calls else "n/a")
    return Row(
        figure,
        f"{len(misses)} of {calls} calls",
        "none",
        status,
        (f"inside a transaction: {where}. " if misses else "")
        + f"{', '.join(done)}: payment link creation by LiqPay (page), monobank (API), Stripe "
        "(service), a monobank webhook (its public key fetched) and the status poll, against a "
        "fake provider on 127.0.0.1; every outbound connect checked for an open transaction",
    )


def _growth_rows(results: dict[str, Any]) -> list[Row]:
    figure = "Order rate at 10M lines / at 1M lines"
    pg = results.get("postgresql") or {}
    grown = pg.get("grown")
    if not grown:
        return [Row(figure, "—", ">= 90 %", "n/a",
                    "run with --grow-to: --scale medium --grow-to xlarge measures at ~1.1M "
                    "lines, generates up to ~10M in the same database and measures again")]  # fmt: skip
    rows = []
    before, after = grown["lines_before"], grown["lines_after"]
    design = before <= 2_000_000 and after >= 9_000_000
    clients = max((r["clients"] for r in pg.get("throughput", {}).get("runs", [])), default=0)
    for path in ("raw", "services", "api"):
        num = _run(pg, path, clients, key="throughput_grown")
        den = _run(pg, path, clients)
        if num is None and den is None:
            continue
        label = figure if design and path == "services" else (
            f"PG: {path} rate at {after:,} lines / at {before:,} lines"
        )  # fmt: skip
        row = _ratio_row(f"{label}, {clients} clients", num, den, 0.90, ">= 90 %")
        if path == "raw":
            row.target, row.status = "— (context)", "info" if row.measured != "—" else "n/a"
        if not design and path == "services":
            row.note += "; not the design point (use --scale medium --grow-to xlarge)"
        rows.append(row)
    return rows


def measurements(results: dict[str, Any]) -> list[list[str]]:
    table = []
    for key, part, label in (("postgresql", "throughput", "postgresql"),
                             ("postgresql", "throughput_grown", "postgresql, grown"),
                             ("sqlite", "throughput", "sqlite")):  # fmt: skip
        block = results.get(key) or {}
        for r in block.get(part, {}).get("runs", []):
            if r.get("skipped"):
                table.append(
                    [label, r["path"], str(r["clients"]), "skipped", "", "", r["skipped"][:60]]
                )
                continue
            errors = ", ".join(f"{k}×{v}" for k, v in r["errors"].items()) or "0"
            rounds = "/".join(f"{x:.0f}" for x in r.get("repeats") or [])
            retries = ", ".join(f"{k}×{v}" for k, v in r.get("retries", {}).items())
            table.append([
                label, r["path"], str(r["clients"]),
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
