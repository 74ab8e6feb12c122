"""`python -m bench.scaleout.replica`: reports served by a PostgreSQL streaming replica, the
read-your-own-writes cases kept on the primary.

It never touches the machine's PostgreSQL (replication to it is not allowed by its pg_hba,
and a base backup would copy every database on it): it makes a PRIVATE primary with initdb
(scripts/crash.py's helper, its own port on 127.0.0.1, trust auth, pg_stat_statements
loaded), fills it with the bench generator, then makes the replica with
`pg_basebackup -R -X stream` into a second data directory on another port and starts it
(a hot standby streaming the primary's WAL). gunicorn then runs with DATABASE_URL = the
primary and DATABASE_REPLICA_URL = the replica, so settings add the "replica" database and
orderdesk.reports.routers.ReportsReplicaRouter. Through the HTTP API it shows:

1. a report request (GET /api/v1/reports/order-states/) runs its queries on the replica:
   pg_stat_statements, reset on both servers before the request, counts the statements that
   read orders_order on each;
2. with WAL replay on the replica paused (`pg_wal_replay_pause()`), an order created and
   confirmed through the API is at once in its order card (GET /api/v1/orders/<id>/, the
   primary) while the report does not count it yet (the replica lags); a saved variant is at
   once in the variant list and usable by the report (the primary);
3. replay resumed, the report counts the order.

Then gunicorn is stopped by its PID, both clusters by pg_ctl, the temporary directory removed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .common import RESULTS, Cluster, Row, phases, prepare, say, table

DB = "scale"
REPORT = "/api/v1/reports/order-states/"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scaleout.replica",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--scale", default="tiny", help="data set size (bench scales; default tiny)")
    p.add_argument("--gunicorn-workers", type=int, default=2)
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (stopped)")
    return p.parse_args(argv)


# --- in the scenario process (Django set up with both databases) -----------------------------


class Api:
    def __init__(self, base: tuple[str, int], token: str) -> None:
        self.conn = http.client.HTTPConnection(*base, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json",
                        "Content-Type": "application/json"}  # fmt: skip

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        self.conn.request(method, path, json.dumps(body) if body is not None else None,
                          self.headers)  # fmt: skip
        response = self.conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw[:300].decode(errors="replace")


def _one(alias: str, sql: str, params: tuple = ()) -> Any:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_replayed(timeout: float = 60.0) -> float:
    """Until the replica has replayed everything the primary has written; the seconds waited."""
    target = _one("default", "SELECT pg_current_wal_lsn()::text")
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if _one("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)):
            return time.monotonic() - t0
        time.sleep(0.05)
    raise RuntimeError(f"the replica did not replay up to {target} within {timeout} s")


def statements_on(alias: str) -> dict[str, int]:
    """Calls since the last reset: all statements, and those reading orders_order."""
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(calls), 0), "
            "coalesce(sum(calls) FILTER (WHERE query ILIKE '%%orders_order%%'), 0) "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) AND query NOT ILIKE '%%pg_stat_statements%%'"
        )
        total, orders = cursor.fetchone()
    return {"statements": int(total), "reading_orders_order": int(orders)}


def reset_statements() -> None:
    for alias in ("default", "replica"):
        _one(alias, "SELECT pg_stat_statements_reset() IS NULL")


def scenario(*, gunicorn_workers: int, log_dir: str) -> dict[str, Any]:
    from django.db import connections

    from bench.clients import LINES_PER_ORDER, QUANTITY, prepare_hot
    from bench.throughput import Gunicorn

    out: dict[str, Any] = {"steps": []}

    def step(name: str, **facts: Any) -> None:
        out["steps"].append({"step": name, **facts})
        print(f"[scaleout] {name}: {json.dumps(facts, ensure_ascii=False, default=str)}",
              flush=True)  # fmt: skip

    hot = prepare_hot()
    out["in_recovery"] = {
        "default": _one("default", "SELECT pg_is_in_recovery()"),
        "replica": _one("replica", "SELECT pg_is_in_recovery()"),
    }
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT application_name, client_addr::text, state, sync_state "
                       "FROM pg_stat_replication")  # fmt: skip
        out["pg_stat_replication"] = [list(r) for r in cursor.fetchall()]
    step("servers", in_recovery=out["in_recovery"], replication=out["pg_stat_replication"])
    out["initial_catch_up_s"] = round(wait_replayed(), 3)
    connections.close_all()

    log = Path(log_dir) / f"gunicorn-scaleout-replica-{time.strftime('%Y%m%d-%H%M%S')}.log"
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    query = urlencode({"customer": hot.customer_id, "date_from": today, "date_to": today})
    with Gunicorn(database_url=hot.database_url, workers=gunicorn_workers, log=log) as server:
        api = Api(server.base, hot.token)
        # warm every worker's connections (token, roles, ...), then measure one request
        for _ in range(2 * gunicorn_workers):
            api.call("GET", f"{REPORT}?{query}")
        connections.close_all()

        # 1. where does a report's SQL run?
        reset_statements()
        status, report = api.call("GET", f"{REPORT}?{query}")
        counts = {alias: statements_on(alias) for alias in ("default", "replica")}
        out["report_statements"] = counts
        out["report_status"] = status
        before = (report or {}).get("totals", {}).get("orders") if status == 200 else None
        step("1. report request", status=status, orders_today=before, statements=counts)

        # 2. replica paused: the order card and the variants read the primary, the report lags
        _one("replica", "SELECT pg_wal_replay_pause() IS NULL")
        paused_at = time.monotonic()
        lines = [{"product": p, "quantity": QUANTITY} for p in hot.product_ids[:LINES_PER_ORDER]]
        status, created = api.call("POST", "/api/v1/orders/",
                                   {"customer": hot.customer_id, "lines": lines})  # fmt: skip
        if status != 201:
            raise RuntimeError(f"POST /api/v1/orders/ answered {status}: {created}")
        order_id = created["id"]
        confirm_status, confirmed = api.call("POST", f"/api/v1/orders/{order_id}/confirm/", {})
        card_status, card = api.call("GET", f"/api/v1/orders/{order_id}/")
        on_replica = _one("replica", "SELECT count(*) FROM orders_order WHERE id = %s", (order_id,))
        on_primary = _one("default", "SELECT count(*) FROM orders_order WHERE id = %s", (order_id,))
        status_r, report = api.call("GET", f"{REPORT}?{query}")
        lagging = (report or {}).get("totals", {}).get("orders") if status_r == 200 else None
        v_status, variant = api.call("POST", "/api/v1/reports/variants/", {
            "report": "order_states", "name": f"scaleout {time.time():.0f}",
            "params": {"customer": hot.customer_id},
        })  # fmt: skip
        l_status, listed = api.call("GET", "/api/v1/reports/variants/?report=order_states")
        variant_id = (variant or {}).get("id")
        in_list = any(v["id"] == variant_id for v in (listed or {}).get("results", []))
        r_status, by_variant = api.call(
            "GET", f"{REPORT}?{urlencode({'variant': variant_id, 'date_from': today})}"
        )
        out["paused"] = {
            "order": order_id,
            "confirm_status": confirm_status,
            "confirm_answer": confirmed if confirm_status != 200 else "",
            "order_card_status": card_status,
            "order_card_status_field": (card or {}).get("status"),
            "order_rows_on_primary": on_primary,
            "order_rows_on_replica": on_replica,
            "report_orders_before": before,
            "report_orders_while_paused": lagging,
            "variant_saved_status": v_status,
            "variant_listed_at_once": in_list,
            "report_by_variant_status": r_status,
            "report_by_variant_params": (by_variant or {}).get("params"),
            "variants_list_status": l_status,
        }
        step("2. replica paused", **out["paused"])

        # 3. replay resumed: the report catches up
        _one("replica", "SELECT pg_wal_replay_resume() IS NULL")
        out["paused_seconds"] = round(time.monotonic() - paused_at, 2)
        out["catch_up_s"] = round(wait_replayed(), 3)
        status, report = api.call("GET", f"{REPORT}?{query}")
        after = (report or {}).get("totals", {}).get("orders") if status == 200 else None
        out["report_orders_after_resume"] = after
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT coalesce(extract(epoch FROM replay_lag), 0) "
                           "FROM pg_stat_replication")  # fmt: skip
            row = cursor.fetchone()
        out["replay_lag_s"] = float(row[0]) if row else None
        step("3. replay resumed", report_orders=after, catch_up_s=out["catch_up_s"],
             replay_lag_s=out["replay_lag_s"])  # fmt: skip
    connections.close_all()
    return out


# --- the report (no Django) -------------------------------------------------------------------


def targets(r: dict[str, Any]) -> list[Row]:
    s = r.get("report_statements", {})
    rep, pri = s.get("replica", {}), s.get("default", {})
    p = r.get("paused", {})
    before, lag, after = (p.get("report_orders_before"), p.get("report_orders_while_paused"),
                          r.get("report_orders_after_resume"))  # fmt: skip

    def ok(cond: bool) -> str:
        return "pass" if cond else "miss"

    return [
        Row("replica is a hot standby, primary streams to it",
            f"{r['in_recovery']['replica']}/{len(r.get('pg_stat_replication', []))}",
            "True/1", ok(r["in_recovery"]["replica"] is True
                         and len(r.get("pg_stat_replication", [])) == 1)),
        Row("report: statements reading orders_order on the replica",
            str(rep.get("reading_orders_order")), "> 0",
            ok((rep.get("reading_orders_order") or 0) > 0)),
        Row("report: statements reading orders_order on the primary",
            str(pri.get("reading_orders_order")), "0", ok(pri.get("reading_orders_order") == 0)),
        Row("order card right after create+confirm (primary), replica paused",
            f"{p.get('order_card_status')} {p.get('order_card_status_field')}",
            "200 confirmed",
            ok(p.get("order_card_status") == 200
               and p.get("order_card_status_field") == "confirmed")),
        Row("the new order on the paused replica / on the primary",
            f"{p.get('order_rows_on_replica')}/{p.get('order_rows_on_primary')}", "0/1",
            ok(p.get("order_rows_on_replica") == 0 and p.get("order_rows_on_primary") == 1)),
        Row("report while paused counts the new order (it lags)",
            f"{before} -> {lag}", "unchanged", ok(before is not None and lag == before)),
        Row("saved variant listed at once, report by it runs (primary)",
            f"{p.get('variant_listed_at_once')} {p.get('report_by_variant_status')}",
            "True 200",
            ok(p.get("variant_listed_at_once") is True
               and p.get("report_by_variant_status") == 200)),
        Row("report after replay resumed", f"{before} -> {after}", "+1",
            ok(before is not None and after == before + 1)),
        Row("replica catch-up after resume (s)", str(r.get("catch_up_s")), "—", "info"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="orderdesk-scaleout-"))
    os.chmod(root, 0o755)
    primary = Cluster(root / "primary", "primary")
    replica = Cluster(root / "replica", "replica")
    results: dict[str, Any] = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": vars(args), "cores": os.cpu_count(),
    }  # fmt: skip
    code = 1
    try:
        say(f"private primary: initdb in {primary.data}, port {primary.port}")
        primary.init({"shared_preload_libraries": "'pg_stat_statements'",
                      "wal_level": "replica", "max_wal_senders": "4", "hot_standby": "on"})  # fmt: skip
        primary.start()
        url = primary.url_for(DB)
        results["generate"] = prepare(url, scale=args.scale)
        phases.call("bench.scaleout.replica.install_statements", env={"DATABASE_URL": url})
        say(f"replica: pg_basebackup -R from port {primary.port} into {replica.data}")
        t0 = time.perf_counter()
        replica.basebackup_from(primary)
        results["basebackup_s"] = round(time.perf_counter() - t0, 2)
        replica.start()
        say(f"replica started on port {replica.port} ({results['basebackup_s']} s base backup)")
        env = {"DATABASE_URL": url, "DATABASE_REPLICA_URL": replica.url_for(DB), "DEBUG": "0",
               "CONN_MAX_AGE": "600"}  # fmt: skip
        results["scenario"] = phases.call(
            "bench.scaleout.replica.scenario", env=env,
            gunicorn_workers=args.gunicorn_workers, log_dir=str(RESULTS),
        )  # fmt: skip
        rows = targets(results["scenario"])
        results["targets_rows"] = [r.as_dict() for r in rows]
        print()
        print(table(rows))
        code = 0 if all(r.status != "miss" for r in rows) else 1
    except (phases.PhaseError, SystemExit, RuntimeError) as exc:
        say(f"a step failed:\n{exc}")
    finally:
        replica.stop()
        primary.stop()
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}-scaleout-replica.json"
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    print(f"\nresults: {target}  ({results['seconds']:.0f} s in all)")
    return code


def install_statements() -> None:
    """pg_stat_statements in the primary's database (the replica gets it by replication)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


if __name__ == "__main__":
    sys.exit(main())
