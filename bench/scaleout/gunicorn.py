"""`python -m bench.scaleout.gunicorn`: order throughput through the HTTP API with 1, 2 and 4
gunicorn worker processes against one PostgreSQL.

It is the bench's API path (`bench.throughput`: its gunicorn, its clients, its checks) run
once per worker count: a dedicated database (default od_scale on 127.0.0.1:5432, dropped and
created here) filled by the bench generator, then for each worker count a gunicorn on a free
loopback port, `--clients` client processes creating and confirming orders for `--duration`
seconds, and gunicorn stopped by its PID. The largest worker count also runs with 2 clients,
for the "8 clients keep 70 % of the 2-client rate" target. Each gunicorn sync worker is its
own OS process with its own database connection, so N workers are N application processes
sharing one PostgreSQL. Results: the table to stdout, the JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..report import LOST_UPDATE_KEYS
from .common import (
    DEFAULT_PG,
    RESULTS,
    Row,
    format_table,
    pg_recreate,
    phases,
    prepare,
    ratio,
    say,
    table,
)

TWO = 2  # the small client count of the 8-vs-2 target


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scaleout.gunicorn",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--workers", default="1,2,4", help="gunicorn worker counts (default 1,2,4)")
    p.add_argument("--clients", type=int, default=8, help="client processes per run (default 8)")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per run (default 8)")
    p.add_argument("--repeat", type=int, default=1, help="rounds; the median round counts")
    p.add_argument("--scale", default="small", help="data set size (bench scales; default small)")
    p.add_argument("--pg-url", default=os.environ.get("SCALEOUT_PG_URL", DEFAULT_PG))
    p.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    p.add_argument("--no-generate", action="store_true", help="reuse a kept database as it is")
    return p.parse_args(argv)


# --- in the measuring process (Django set up by bench.phases) --------------------------------


def measure(
    *, workers: list[int], clients: int, duration: float, repeat: int, log_dir: str
) -> dict[str, Any]:
    from bench.clients import prepare_hot
    from bench.throughput import Gunicorn, RunConfig, RunResult, _median, probe_api, run

    hot = prepare_hot()
    plan = [(w, clients) for w in workers]
    if clients != TWO:
        plan.append((max(workers), TWO))
    rounds: dict[tuple[int, int], list[RunResult]] = {key: [] for key in plan}
    skipped: dict[tuple[int, int], str] = {}
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    log = Path(log_dir) / f"gunicorn-scaleout-{time.strftime('%Y%m%d-%H%M%S')}.log"
    for _round in range(max(1, repeat)):  # rounds outside, against drift on a shared machine
        for w in workers:
            with Gunicorn(database_url=hot.database_url, workers=w, log=log) as server:
                why = probe_api(hot, server.base)
                for key in [k for k in plan if k[0] == w]:
                    if why:
                        skipped[key] = why
                        continue
                    conf = RunConfig(path="api", clients=key[1], duration=duration, hot=hot,
                                     api_base=server.base)  # fmt: skip
                    result = run(conf)
                    rounds[key].append(result)
                    print(
                        f"[scaleout] {w} gunicorn workers, {key[1]} clients: "
                        f"{result.rate:7.1f} orders/s  p50 {result.p50_ms} ms  "
                        f"p99 {result.p99_ms} ms  errors {result.errors or 0}  "
                        f"load {result.load_avg}" + (f"  FATAL {result.fatal}" if result.fatal else ""),
                        flush=True,
                    )  # fmt: skip
    runs = []
    for (w, n), done in rounds.items():
        if done:
            runs.append(_median(done).as_dict() | {"workers": w})
        else:
            runs.append({"workers": w, "clients": n, "skipped": skipped.get((w, n), "not run")})
    return {"runs": runs, "cores": os.cpu_count()}


# --- the report (no Django) -------------------------------------------------------------------


def _find(runs: list[dict], workers: int, clients: int) -> dict | None:
    for r in runs:
        if r["workers"] == workers and r["clients"] == clients and not r.get("skipped"):
            return r if r.get("rate") and not r.get("fatal") else None
    return None


def targets(results: dict[str, Any]) -> list[Row]:
    runs = results["measure"]["runs"]
    workers, clients = results["workers"], results["clients"]
    rows: list[Row] = []
    base = _find(runs, workers[0], clients)
    for w in workers[1:]:
        r = _find(runs, w, clients)
        if not (base and r):
            rows.append(Row(f"API rate, {w} workers / {workers[0]}", "—", "> 100 %", "n/a"))
            continue
        value = ratio(r["rate"], base["rate"])
        ideal = min(w, results["cores"] or w) / workers[0]
        if w <= (results["cores"] or w):
            rows.append(Row(
                f"API rate, {w} workers / {workers[0]} worker(s), {clients} clients",
                f"{value:.0%}", f"> 100 % (scales; ideal {ideal:.0%})",
                "pass" if value > 1.0 else "miss",
            ))  # fmt: skip
        else:
            rows.append(Row(
                f"API rate, {w} workers / {workers[0]} worker(s), {clients} clients",
                f"{value:.0%}", f"— ({results['cores']} cores: at most {ideal:.0%})", "info",
            ))  # fmt: skip
    top = max(workers)
    big, small = _find(runs, top, clients), _find(runs, top, TWO)
    rows.append(Row(
        f"API, {clients} clients / {TWO} clients, {top} workers",
        f"{ratio(big['rate'], small['rate']):.0%}" if big and small else "—",
        ">= 70 %",
        ("pass" if ratio(big["rate"], small["rate"]) >= 0.70 else "miss") if big and small
        else "n/a",
    ))  # fmt: skip
    done = [r for r in runs if not r.get("skipped")]
    deadlocks = sum(r.get("deadlocks", 0) for r in done)
    lost = sum(r.get("checks", {}).get(k, 0) for r in done for k in LOST_UPDATE_KEYS) + sum(
        1 for r in done if r.get("checks", {}).get("chain_broken")
    )
    errors = sum(sum(r.get("errors", {}).values()) for r in done)
    rows.append(
        Row("deadlocks (all runs)", str(deadlocks), "0", "pass" if not deadlocks else "miss")
    )
    rows.append(Row("lost updates (numbers, unconfirmed, broken chains)", str(lost), "0",
                    "pass" if not lost else "miss"))  # fmt: skip
    rows.append(Row("failed orders (all runs)", str(errors), "0", "pass" if not errors else "miss"))
    return rows


def render(results: dict[str, Any]) -> str:
    rows = []
    base = _find(results["measure"]["runs"], results["workers"][0], results["clients"])
    for r in sorted(results["measure"]["runs"], key=lambda r: (r["workers"], -r["clients"])):
        if r.get("skipped") or r.get("fatal"):
            rows.append([str(r["workers"]), str(r["clients"]), "n/a", "", "", "", "",
                         (r.get("skipped") or r.get("fatal"))[:60]])  # fmt: skip
            continue
        rate = f"{r['rate']:.1f}"
        if len(r.get("repeats") or []) > 1:
            rate += " (" + "/".join(f"{x:.1f}" for x in r["repeats"]) + ")"
        rel = (
            f"{ratio(r['rate'], base['rate']):.0%}"
            if base and r["clients"] == base["clients"]
            else ""
        )
        rows.append([str(r["workers"]), str(r["clients"]), rate, rel, str(r["p50_ms"]),
                     str(r["p99_ms"]), str(sum(r["errors"].values()) or 0),
                     str(r.get("load_avg", [""])[0])])  # fmt: skip
    return "\n\n".join([
        f"HTTP API (create + confirm, 5 lines), one PostgreSQL, {results['cores']} cores here",
        format_table(["workers", "clients", "orders/s", "vs 1", "p50 ms", "p99 ms", "errors",
                      "load"], rows),
        table(targets(results)),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    workers = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": vars(args), "workers": workers, "clients": args.clients,
        "cores": os.cpu_count(), "load_avg_at_start": list(os.getloadavg()),
    }  # fmt: skip
    env = {"DATABASE_URL": args.pg_url, "DEBUG": "0"}
    try:
        if not args.no_generate:
            results["generate"] = prepare(args.pg_url, scale=args.scale)
        say(
            f"API runs: {workers} gunicorn workers x {args.clients} clients, {args.duration} s each"
        )
        results["measure"] = phases.call(
            "bench.scaleout.gunicorn.measure", env=env, workers=workers, clients=args.clients,
            duration=args.duration, repeat=args.repeat, log_dir=str(RESULTS),
        )  # fmt: skip
    except phases.PhaseError as exc:
        say(f"a step failed:\n{exc}")
        return 1
    finally:
        if not args.keep_db:
            try:
                pg_recreate(args.pg_url, drop_only=True)
            except Exception as exc:
                say(f"could not drop the database: {exc}")
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets_rows"] = [r.as_dict() for r in targets(results)]
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}-scaleout-gunicorn.json"
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    print()
    print(render(results))
    print(f"\nresults: {target}  ({results['seconds']:.0f} s in all)")
    # the rates are reported; correctness (deadlocks, lost updates, failed orders) decides
    wrong = [r for r in results["targets_rows"] if r["status"] == "miss" and r["target"] == "0"]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
