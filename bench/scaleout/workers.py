"""`python -m bench.scaleout.workers`: background jobs spread over several worker processes
through a database queue with `SELECT ... FOR UPDATE SKIP LOCKED`, each job done once.

orderdesk has no background job queue today: its periodic work runs from cron as management
commands (`refresh_summaries`, `check_overdue`, ...). django-tasks 0.12.0 is in the lock but
its database backend is a separate package (django-tasks-db) that is not installed, so there
is no real mechanism to exercise. This script therefore demonstrates the PATTERN only, with a
throw-away queue table in its own database (default od_scale_jobs on 127.0.0.1:5432, dropped
and created here; no model, no migration, nothing in the application):

- the jobs are real project work: the dashboards' summary rebuilt one day per job (the step
  `orderdesk refresh_summaries` does for each touched day, `reports.services._rebuild_days`);
- each worker is a separate process (django.setup, its own connection) looping: BEGIN;
  `SELECT id, day FROM scaleout_job WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE
  SKIP LOCKED`; rebuild the day; `UPDATE scaleout_job SET state = 'done', runs = runs + 1`;
  COMMIT. Another worker skips a locked job instead of waiting for it. Before the work, each
  attempt is also logged on a second, autocommit connection (what a crash cannot undo);
- rounds with 1, 2 and 4 workers show the jobs spread (jobs per worker, jobs/s); then a
  round with 3 workers and slow jobs (`pg_sleep`, 300 ms) in which one worker is SIGKILLed
  (by its PID) in the middle of a job: its transaction dies with it, the row lock goes, and
  another worker does the job — once.

Checks: every job done, `runs` = 1 for every job (never twice, never lost), the killed
worker's attempt left nothing, and the summary equals a full rebuild. The figures go to
stdout and bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/od_scale_jobs"
KILL_JOBS, KILL_WORKERS, KILL_HOLD_MS = 12, 3, 300

QUEUE_DDL = """
DROP TABLE IF EXISTS scaleout_attempt, scaleout_job;
CREATE TABLE scaleout_job (
    id bigserial PRIMARY KEY,
    day date NOT NULL,
    state text NOT NULL DEFAULT 'queued',
    runs integer NOT NULL DEFAULT 0,
    done_by integer,
    done_at timestamptz
);
CREATE INDEX scaleout_job_queued ON scaleout_job (id) WHERE state = 'queued';
CREATE TABLE scaleout_attempt (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL,
    worker integer NOT NULL,
    pid integer NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""

TAKE = (
    "SELECT id, day FROM scaleout_job WHERE state = 'queued' "
    "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scaleout.workers",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    p.add_argument("--scale", default="small", help="data set size (bench scales; default small)")
    p.add_argument("--pg-url", default=os.environ.get("SCALEOUT_JOBS_PG_URL", DEFAULT_PG))
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--no-generate", action="store_true", help="reuse a kept database as it is")
    # one worker process (started by this script)
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--hold-ms", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--go", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


# --- one worker process ------------------------------------------------------------------------


def worker(number: int, hold_ms: int, go: str, url: str) -> int:
    """Take jobs until none is queued; each in one transaction with its row locked."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderdesk.settings")
    import django

    django.setup()
    import psycopg
    from django.db import connection, transaction

    from orderdesk.reports.services import _rebuild_days

    log = psycopg.connect(libpq(url), autocommit=True)  # attempts survive a rollback or a kill
    connection.ensure_connection()
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    done = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(TAKE)
                row = cursor.fetchone()
            if row is not None:
                job_id, day = row
                log.execute(
                    "INSERT INTO scaleout_attempt (job_id, worker, pid) VALUES (%s, %s, %s)",
                    (job_id, number, os.getpid()),
                )
                _rebuild_days({day})  # the summary of that day, as refresh_summaries does
                with connection.cursor() as cursor:
                    if hold_ms:
                        cursor.execute("SELECT pg_sleep(%s)", (hold_ms / 1000,))
                    cursor.execute(
                        "UPDATE scaleout_job SET state = 'done', runs = runs + 1, "
                        "done_by = %s, done_at = clock_timestamp() WHERE id = %s",
                        (number, job_id),
                    )
                done += 1
                continue
        # nothing free: finished, or the rest is locked by others (wait: one may die)
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM scaleout_job WHERE state = 'queued')")
            if not cursor.fetchone()[0]:
                break
        time.sleep(0.02)
    log.close()
    print(f"done {done}", flush=True)
    return 0


# --- the orchestrator (no Django) --------------------------------------------------------------


def _spawn(n: int, hold_ms: int, go: Path, url: str) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}  # fmt: skip
    procs = []
    for i in range(1, n + 1):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "bench.scaleout.workers", "--worker", str(i),
             "--hold-ms", str(hold_ms), "--go", str(go), "--pg-url", url],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))  # fmt: skip
    for p in procs:  # every worker set up and connected before the start
        line = p.stdout.readline().strip()
        if line != "ready":
            _stop(procs)
            raise RuntimeError(f"worker did not start: {line} {p.stderr.read()[-2000:]}")
    return procs


def _stop(procs: list[subprocess.Popen], timeout: float = 120) -> list[int]:
    """Wait for our workers; any still running after `timeout` is killed by its PID."""
    deadline = time.monotonic() + timeout
    codes = []
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        codes.append(p.returncode)
    return codes


def _queue(conn, days: list[dt.date]) -> None:
    conn.execute("TRUNCATE scaleout_job, scaleout_attempt RESTART IDENTITY")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO scaleout_job (day) VALUES (%s)", [(d,) for d in days])


def _outcome(conn) -> dict[str, Any]:
    one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
    jobs, done, once, twice, never = one(
        "SELECT count(*), count(*) FILTER (WHERE state = 'done'), "
        "count(*) FILTER (WHERE runs = 1), count(*) FILTER (WHERE runs > 1), "
        "count(*) FILTER (WHERE runs = 0) FROM scaleout_job"
    )
    per_worker = dict(conn.execute(
        "SELECT done_by, count(*) FROM scaleout_job WHERE done_by IS NOT NULL "
        "GROUP BY done_by ORDER BY done_by"
    ).fetchall())  # fmt: skip
    attempts = one("SELECT count(*) FROM scaleout_attempt")[0]
    span = one(
        "SELECT extract(epoch FROM (SELECT max(done_at) FROM scaleout_job) "
        "- (SELECT min(at) FROM scaleout_attempt))"
    )[0]
    return {"jobs": jobs, "done": done, "runs_once": once, "runs_twice_or_more": twice,
            "never_run": never, "attempts": attempts, "per_worker": per_worker,
            "seconds": round(float(span or 0), 3),
            "jobs_per_s": round(jobs / float(span), 1) if span else 0.0}  # fmt: skip


def run_round(conn, url: str, days: list[dt.date], workers: int, *, hold_ms: int = 0,
              kill: bool = False) -> dict[str, Any]:  # fmt: skip
    _queue(conn, days)
    with tempfile.TemporaryDirectory(prefix="orderdesk-scaleout-go-") as tmp:
        go = Path(tmp) / "go"
        procs = _spawn(workers, hold_ms, go, url)
        go.touch()
        killed = None
        if kill:
            pids = {p.pid: p for p in procs}
            deadline = time.monotonic() + 30
            while killed is None and time.monotonic() < deadline:
                # an attempt whose job is not done yet: that worker is inside the job
                row = conn.execute(
                    "SELECT a.worker, a.pid, a.job_id FROM scaleout_attempt a "
                    "JOIN scaleout_job j ON j.id = a.job_id WHERE j.state = 'queued' "
                    "ORDER BY a.id LIMIT 1"
                ).fetchone()
                if row and row[1] in pids:
                    os.kill(row[1], signal.SIGKILL)  # our own worker, by its PID
                    killed = {"worker": row[0], "pid": row[1], "job": row[2]}
                else:
                    time.sleep(0.01)
        codes = _stop(procs)
    out = _outcome(conn)
    out.update(workers=workers, hold_ms=hold_ms, exit_codes=codes)
    if killed:
        job = conn.execute(
            "SELECT state, runs, done_by FROM scaleout_job WHERE id = %s", (killed["job"],)
        ).fetchone()
        tries = conn.execute(
            "SELECT array_agg(worker ORDER BY id) FROM scaleout_attempt WHERE job_id = %s",
            (killed["job"],),
        ).fetchone()[0]
        killed.update(state=job[0], runs=job[1], done_by=job[2], attempts_by=tries)
        out["killed"] = killed
    return out


def check_summary() -> dict[str, int]:
    """The summary the jobs built against a full rebuild (made and rolled back)."""
    from django.db import transaction

    from orderdesk.reports.models import DailySalesSummary
    from orderdesk.reports.services import _rebuild_days

    fields = ("day", "manager_id", "customer_id", "state", "orders", "net_amount",
              "gross_amount", "revenue", "cost", "discount")  # fmt: skip
    built = set(DailySalesSummary.objects.values_list(*fields))
    with transaction.atomic():
        _rebuild_days(None)
        full = set(DailySalesSummary.objects.values_list(*fields))
        transaction.set_rollback(True)
    return {"rows": len(built), "full_rebuild_rows": len(full), "differ": len(built ^ full)}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        return worker(args.worker, args.hold_ms, args.go, args.pg_url)

    import psycopg

    from .common import RESULTS, Row, format_table, pg_recreate, phases, prepare, say, table

    counts = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": vars(args), "cores": os.cpu_count(), "rounds": [],
    }  # fmt: skip
    code = 1
    try:
        if not args.no_generate:
            results["generate"] = prepare(args.pg_url, scale=args.scale)
        with psycopg.connect(libpq(args.pg_url), autocommit=True) as conn:
            conn.execute(QUEUE_DDL)
            days = [r[0] for r in conn.execute(
                "SELECT DISTINCT order_date FROM orders_order ORDER BY 1").fetchall()]  # fmt: skip
            say(f"{len(days)} jobs (one per order day) per round; workers {counts}")
            for n in counts:
                conn.execute("TRUNCATE reports_dailysalessummary")
                r = run_round(conn, args.pg_url, days, n)
                results["rounds"].append(r)
                say(f"{n} workers: {r['jobs_per_s']} jobs/s, per worker {r['per_worker']}, "
                    f"runs once {r['runs_once']}/{r['jobs']}")  # fmt: skip
            results["summary_check"] = phases.call(
                "bench.scaleout.workers.check_summary", env={"DATABASE_URL": args.pg_url}
            )
            say(f"summary built by the jobs vs a full rebuild: {results['summary_check']}")
            r = run_round(conn, args.pg_url, days[:KILL_JOBS], KILL_WORKERS,
                          hold_ms=KILL_HOLD_MS, kill=True)  # fmt: skip
            results["kill_round"] = r
            say(f"kill round: {r.get('killed')}; runs once {r['runs_once']}/{r['jobs']}, "
                f"attempts {r['attempts']}")  # fmt: skip
        rows = targets(results, Row)
        results["targets_rows"] = [x.as_dict() for x in rows]
        print()
        print(format_table(
            ["workers", "jobs", "seconds", "jobs/s", "vs 1", "jobs per worker", "runs = 1"],
            [[str(r["workers"]), str(r["jobs"]), str(r["seconds"]), str(r["jobs_per_s"]),
              f"{r['jobs_per_s'] / results['rounds'][0]['jobs_per_s']:.0%}"
              if results["rounds"][0]["jobs_per_s"] else "",
              " ".join(f"{k}:{v}" for k, v in sorted(r["per_worker"].items())),
              f"{r['runs_once']}/{r['jobs']}"] for r in results["rounds"]],
        ))  # fmt: skip
        print()
        print(table(rows))
        code = 0 if all(x.status != "miss" for x in rows) else 1
    except (phases.PhaseError, RuntimeError, psycopg.Error) as exc:
        say(f"a step failed:\n{exc}")
    finally:
        if not args.keep_db:
            try:
                pg_recreate(args.pg_url, drop_only=True)
            except Exception as exc:
                say(f"could not drop the database: {exc}")
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}-scaleout-workers.json"
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    print(f"\nresults: {target}  ({results['seconds']:.0f} s in all)")
    return code


def targets(results: dict[str, Any], Row) -> list:
    rounds, k = results["rounds"], results.get("kill_round") or {}
    killed = k.get("killed") or {}

    def ok(cond: bool) -> str:
        return "pass" if cond else "miss"

    exact = all(r["runs_once"] == r["jobs"] == r["done"] for r in rounds)
    spread = [r for r in rounds if r["workers"] > 1]
    rows = [
        Row("every job done exactly once (runs = 1), all rounds",
            " ".join(f"{r['runs_once']}/{r['jobs']}" for r in rounds), "all", ok(exact)),
        Row("every worker took jobs (rounds with > 1 worker)",
            " ".join(f"{len(r['per_worker'])}/{r['workers']}" for r in spread), "all",
            ok(all(len(r["per_worker"]) == r["workers"] for r in spread))),
        Row("summary built by the jobs = full rebuild (rows differing)",
            str(results.get("summary_check", {}).get("differ")), "0",
            ok(results.get("summary_check", {}).get("differ") == 0)),
        Row("worker SIGKILLed mid-job: its job done once, by another",
            f"runs {killed.get('runs')}, attempts by {killed.get('attempts_by')}, "
            f"done by {killed.get('done_by')}" if killed else "no kill",
            "runs 1, done by another",
            ok(bool(killed) and killed.get("runs") == 1 and killed.get("state") == "done"
               and killed.get("done_by") != killed.get("worker"))),
        Row("kill round: every job done exactly once",
            f"{k.get('runs_once')}/{k.get('jobs')} (attempts {k.get('attempts')})",
            "all", ok(bool(k) and k.get("runs_once") == k.get("jobs") == k.get("done"))),
    ]  # fmt: skip
    for r in rounds[1:]:
        base = rounds[0]["jobs_per_s"]
        rows.append(Row(f"jobs/s, {r['workers']} workers / {rounds[0]['workers']}",
                        f"{r['jobs_per_s'] / base:.0%}" if base else "—",
                        f"— ({results['cores']} cores)", "info"))  # fmt: skip
    return rows


if __name__ == "__main__":
    sys.exit(main())
