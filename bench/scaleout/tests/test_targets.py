"""The scale-out scripts' verdicts from their recorded figures (no database, no servers)."""

from __future__ import annotations

from bench.report import Row
from bench.scaleout import gunicorn, replica, workers
from bench.scaleout.common import Cluster, postgres_bindir


def _run(w: int, n: int, rate: float, **extra) -> dict:
    checks = {"number_gaps_or_doubles": 0, "not_confirmed": 0, "other_customer": 0,
              "chain_broken": None}  # fmt: skip
    return {"workers": w, "clients": n, "rate": rate, "p50_ms": 1.0, "p99_ms": 2.0,
            "errors": {}, "deadlocks": 0, "checks": checks, "load_avg": [1.0], **extra}  # fmt: skip


def _gunicorn(runs: list[dict]) -> dict:
    return {"workers": [1, 2, 4], "clients": 8, "cores": 2, "measure": {"runs": runs}}


def test_gunicorn_scaling_within_the_cores_passes_and_beyond_is_information():
    runs = [_run(1, 8, 10), _run(2, 8, 15), _run(4, 8, 14), _run(4, 2, 16)]
    rows = {r.figure: r for r in gunicorn.targets(_gunicorn(runs))}
    assert rows["API rate, 2 workers / 1 worker(s), 8 clients"].status == "pass"
    assert rows["API rate, 4 workers / 1 worker(s), 8 clients"].status == "info"
    assert rows["API, 8 clients / 2 clients, 4 workers"].status == "pass"  # 14/16
    assert rows["deadlocks (all runs)"].status == "pass"
    assert "workers" in gunicorn.render(_gunicorn(runs))


def test_gunicorn_a_lost_update_or_a_slower_second_worker_misses():
    runs = [_run(1, 8, 10), _run(2, 8, 9), _run(4, 8, 9), _run(4, 2, 16)]
    runs[1]["checks"]["number_gaps_or_doubles"] = 1
    rows = {r.figure: r for r in gunicorn.targets(_gunicorn(runs))}
    assert rows["API rate, 2 workers / 1 worker(s), 8 clients"].status == "miss"
    assert rows["lost updates (numbers, unconfirmed, broken chains)"].status == "miss"
    assert rows["API, 8 clients / 2 clients, 4 workers"].status == "miss"  # 9/16


def _replica(**paused) -> dict:
    base = {"order_card_status": 200, "order_card_status_field": "confirmed",
            "order_rows_on_replica": 0, "order_rows_on_primary": 1, "report_orders_before": 3,
            "report_orders_while_paused": 3, "variant_listed_at_once": True,
            "report_by_variant_status": 200}  # fmt: skip
    return {
        "in_recovery": {"default": False, "replica": True},
        "pg_stat_replication": [["walreceiver", "127.0.0.1/32", "streaming", "async"]],
        "report_statements": {
            "default": {"reading_orders_order": 0},
            "replica": {"reading_orders_order": 2},
        },
        "paused": base | paused,
        "report_orders_after_resume": 4,
        "catch_up_s": 0.1,
    }


def test_replica_verdicts():
    assert all(r.status in ("pass", "info") for r in replica.targets(_replica()))
    stale_card = {r.figure: r.status for r in replica.targets(_replica(order_card_status=404))}
    assert stale_card["order card right after create+confirm (primary), replica paused"] == "miss"
    no_lag = {r.figure: r.status for r in replica.targets(_replica(report_orders_while_paused=4))}
    assert no_lag["report while paused counts the new order (it lags)"] == "miss"


def _round(w: int, jobs: int, per_worker: dict, once: int | None = None) -> dict:
    return {"workers": w, "jobs": jobs, "done": jobs, "runs_once": jobs if once is None else once,
            "per_worker": per_worker, "jobs_per_s": 10.0 * w}  # fmt: skip


def test_workers_verdicts():
    results = {
        "cores": 2,
        "rounds": [_round(1, 4, {1: 4}), _round(2, 4, {1: 2, 2: 2})],
        "summary_check": {"differ": 0},
        "kill_round": _round(3, 12, {2: 6, 3: 6})
        | {"attempts": 13, "killed": {"worker": 1, "runs": 1, "state": "done", "done_by": 2}},
    }
    assert all(r.status in ("pass", "info") for r in workers.targets(results, Row))
    results["rounds"][1] = _round(2, 4, {1: 4}, once=3)  # one worker idle, one job twice
    misses = [r.figure for r in workers.targets(results, Row) if r.status == "miss"]
    assert misses == [
        "every job done exactly once (runs = 1), all rounds",
        "every worker took jobs (rounds with > 1 worker)",
    ]


def test_the_private_cluster_helper_comes_from_scripts_crash(tmp_path):
    cluster = Cluster(tmp_path / "c", "primary")
    assert type(cluster).__mro__[1].__name__ == "PrivatePostgres"
    assert cluster.bindir == postgres_bindir()
    assert cluster.url_for("x") == f"postgres://postgres@127.0.0.1:{cluster.port}/x"
