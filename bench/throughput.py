"""Throughput: create + confirm orders of 5 priced lines, three ways, side by side.

- `services`: orders.services.order_create + order_confirm in the client process (the
  confirmation reserves stock, commits credit and, after its commit, releases the order);
- `api`: POST /api/v1/orders/ then POST /api/v1/orders/{id}/confirm/ against gunicorn;
- `raw`: the same rows as plain SQL (psycopg on PostgreSQL, sqlite3 on SQLite), in the
  services' three transactions, hand-written with multi-row INSERTs and one UPDATE ... FROM
  VALUES (bench.clients.RawClient): that is the floor the ratios divide by.

Every client is its own process (no GIL between them), all against one hot customer. A run
lasts a fixed time after a common start; each client records the latency of every order.
Before each run the hot products get plenty of stock (`restock`), so every order of every
run reserves all its lines. Runs also check what concurrency could break (`_checks`):
numbers gap-free and unique, every order confirmed and released with its commitment,
reservation rows and release lines, the hot customer's committed amount and the hot
warehouse's reserved stock moved by exactly what the new rows add up to, the generator's
data check over the new orders, hash chains and heads intact, deadlocks
(pg_stat_database), retries inside the services (`atomic_with_retry`) and "database is
locked" errors.

Import only after django.setup() (bench.phases does that).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.db.models import Exists, F, OuterRef, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orderdesk.catalog.models import StockBalance
from orderdesk.core.models import NumberSeries
from orderdesk.credit.models import Commitment, CreditAccount
from orderdesk.fulfillment.models import ReleaseLine, Reservation
from orderdesk.orders.models import Order, OrderLine

from .clients import (
    LINES_PER_ORDER,
    QUANTITY,
    SERIES_KEY,
    ApiClient,
    Hot,
    RawClient,
    ServicesClient,
    error_code,
    libpq_url,
    prepare_hot,
)
from .report import LOST_UPDATE_KEYS

REPO = Path(__file__).resolve().parent.parent


@dataclass
class RunConfig:
    path: str  # services | api | raw
    clients: int
    duration: float
    hot: Hot
    warmup: int = 3
    api_base: tuple[str, int] | None = None
    lines: int = LINES_PER_ORDER


def _make_client(conf: RunConfig):
    if conf.path == "services":
        return ServicesClient(conf.hot, conf.lines)
    if conf.path == "api":
        return ApiClient(conf.hot, conf.api_base, conf.lines)
    return RawClient(conf.hot, conf.lines)


def _client_main(conf: RunConfig, index: int, barrier, queue) -> None:
    result: dict[str, Any] = {"index": index}
    try:
        connections.close_all()  # forked: never reuse the parent's socket
        client = _make_client(conf)
        rng = random.Random(1000 * index + conf.clients)
        for _ in range(conf.warmup):
            client.op(rng)
        client.retries.clear()
        barrier.wait(timeout=120)
        latencies: list[float] = []
        errors: Counter = Counter()
        samples: dict[str, str] = {}
        start = time.perf_counter()
        deadline = start + conf.duration
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                client.op(rng)
                latencies.append(time.perf_counter() - t0)
            except Exception as exc:
                code = error_code(exc)
                errors[code] += 1
                samples.setdefault(code, str(exc)[:300])
        result.update(
            ops=len(latencies),
            elapsed=time.perf_counter() - start,
            latencies=latencies,
            errors=dict(errors),
            error_samples=samples,
            retries=dict(client.retries),
            statements=getattr(client, "statements", None),
        )
        client.close()
    except BaseException as exc:  # report, never hang the parent
        result["fatal"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-2000:]}"
        with contextlib.suppress(Exception):
            barrier.abort()
    queue.put(result)


@dataclass
class RunResult:
    db: str
    path: str
    clients: int
    ops: int = 0
    seconds: float = 0.0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: dict[str, str] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    deadlocks: int = 0
    checks: dict[str, Any] = field(default_factory=dict)
    fatal: str = ""
    load_avg: list[float] = field(default_factory=list)
    skipped: str = ""
    repeats: list[float] = field(default_factory=list)  # rate of each round (--repeat)

    def as_dict(self) -> dict:
        return asdict(self)


def run(conf: RunConfig) -> RunResult:
    """`conf.clients` processes writing for `conf.duration` seconds from a common start."""
    ctx = mp.get_context("fork")
    connections.close_all()
    barrier = ctx.Barrier(conf.clients + 1)
    queue = ctx.Queue()
    restock(conf.hot)
    before = _db_state(conf.hot)
    procs = [
        ctx.Process(target=_client_main, args=(conf, i, barrier, queue), daemon=True)
        for i in range(conf.clients)
    ]
    for p in procs:
        p.start()
    result = RunResult(db=conf.hot.vendor, path=conf.path, clients=conf.clients)
    with contextlib.suppress(Exception):  # a client failed in warm-up: its report says why
        barrier.wait(timeout=180)
    results = []
    for _ in procs:
        try:
            results.append(queue.get(timeout=conf.duration + 300))
        except Exception:
            break
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()  # only our own client, by its handle
            p.join()
    fatal = [r["fatal"] for r in results if "fatal" in r]
    if fatal or len(results) < conf.clients:
        result.fatal = fatal[0] if fatal else "a client did not report"
    ok = [r for r in results if "fatal" not in r]
    latencies = sorted(x for r in ok for x in r["latencies"])
    result.ops = len(latencies)
    result.seconds = max((r["elapsed"] for r in ok), default=0.0)
    result.rate = round(result.ops / result.seconds, 1) if result.seconds else 0.0
    result.p50_ms = round(_quantile(latencies, 0.50) * 1000, 1)
    result.p99_ms = round(_quantile(latencies, 0.99) * 1000, 1)
    for r in ok:
        for key, n in r["errors"].items():
            result.errors[key] = result.errors.get(key, 0) + n
        for key, n in r["retries"].items():
            result.retries[key] = result.retries.get(key, 0) + n
        result.error_samples.update(r["error_samples"])
    after = _db_state(conf.hot)
    result.deadlocks = after["deadlocks"] - before["deadlocks"]
    result.checks = _checks(conf.hot, before, after)
    result.load_avg = [round(x, 2) for x in os.getloadavg()]
    return result


def _median(results: list[RunResult]) -> RunResult:
    """The round with the median rate, carrying the errors, retries, deadlocks and check
    failures of all rounds and the rates of each."""
    chosen = sorted(results, key=lambda r: r.rate)[(len(results) - 1) // 2]
    merged = RunResult(**chosen.as_dict())
    if len(results) == 1:
        return merged
    merged.errors, merged.retries, merged.deadlocks = {}, {}, 0
    for r in results:
        for key, n in r.errors.items():
            merged.errors[key] = merged.errors.get(key, 0) + n
        for key, n in r.retries.items():
            merged.retries[key] = merged.retries.get(key, 0) + n
        merged.deadlocks += r.deadlocks
        merged.error_samples.update(r.error_samples)
        merged.fatal = merged.fatal or r.fatal
    merged.checks = dict(chosen.checks)
    for key in LOST_UPDATE_KEYS:
        merged.checks[key] = sum(r.checks.get(key, 0) for r in results)
    merged.checks["chain_broken"] = next(
        (r.checks["chain_broken"] for r in results if r.checks.get("chain_broken")), None
    )
    merged.repeats = [r.rate for r in results]
    return merged


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def restock(hot: Hot) -> None:
    """Every run starts with plenty of the hot products on hand in the hot warehouse (on hand
    set to what is reserved plus 1,000,000, as the generator sets stock: no stock moves), so
    every order of every run reserves all its lines: the same work whatever ran before."""
    StockBalance.objects.filter(
        warehouse_id=hot.warehouse_id, product_id__in=hot.product_ids
    ).update(on_hand=F("reserved") + 1_000_000)
    connections.close_all()


def _db_state(hot: Hot) -> dict[str, Any]:
    state = {
        "max_order_id": Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "series": NumberSeries.objects.filter(key=SERIES_KEY, year=timezone.localdate().year)
        .values_list("last_value", flat=True)
        .first()
        or 0,
        "deadlocks": 0,
        # the two counters every client moves: the hot customer's committed amount and the
        # stock reserved in the hot warehouse (a lost update shows as a drift against the rows)
        "committed": CreditAccount.objects.filter(customer_id=hot.customer_id)
        .values_list("committed_amount", flat=True)
        .first()
        or Decimal(0),
        "reserved": StockBalance.objects.filter(warehouse_id=hot.warehouse_id).aggregate(
            s=Sum("reserved")
        )["s"]
        or Decimal(0),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            )
            state["deadlocks"] = cursor.fetchone()[0]
    connections.close_all()
    return state


def _checks(hot: Hot, before: dict, after: dict) -> dict[str, Any]:
    """What a race would break: gap-free unique numbers, every order confirmed and released
    with its commitment, reservation rows and release lines, the account's committed amount and
    the warehouse's reserved stock moved by exactly what the new rows say, the generator's
    data check over the new orders, intact chains and heads."""
    from orderdesk.audit.selectors import verify_chain, verify_heads

    from .generate import check, problems_of

    first = before["max_order_id"] + 1
    new = Order.objects.filter(pk__gte=first)
    lines = OrderLine.objects.filter(order_id__gte=first)
    created = new.count()
    checks: dict[str, Any] = {
        "orders_created": created,
        "numbers_taken": after["series"] - before["series"],
        "numbers_distinct": new.values("number").distinct().count(),
        "not_confirmed": new.exclude(status="confirmed").count(),
        "other_customer": new.exclude(customer_id=hot.customer_id).count(),
        "not_released": new.exclude(fulfillment_status="released").count(),
        "lines_without_reservation": lines.filter(
            ~Exists(Reservation.objects.filter(line_id=OuterRef("pk")))
        ).count(),
        "lines_without_release": lines.filter(
            ~Exists(ReleaseLine.objects.filter(line_id=OuterRef("pk")))
        ).count(),
    }
    committed = Commitment.objects.filter(order_id__gte=first).aggregate(s=Sum("amount"))["s"]
    reserved = Reservation.objects.filter(
        order_id__gte=first, warehouse_id=hot.warehouse_id
    ).aggregate(s=Sum("quantity"))["s"]
    checks["commitments_wrong"] = new.filter(
        ~Exists(
            Commitment.objects.filter(order_id=OuterRef("pk"), amount=OuterRef("base_gross_amount"))
        )
    ).count()
    checks["committed_drift"] = _drift(after["committed"] - before["committed"], committed)
    checks["reserved_drift"] = _drift(after["reserved"] - before["reserved"], reserved)
    # every number taken is on exactly one order: no gap, no double (lost update on the counter)
    checks["number_gaps_or_doubles"] = abs(checks["numbers_taken"] - created) + (
        created - checks["numbers_distinct"]
    )
    problems = problems_of(check(first_order_id=first, chain_sample=0)) if created else {}
    problems.pop("chain_broken", None)
    checks["data_problems"] = sum(v for v in problems.values() if isinstance(v, int))
    if problems:
        checks["data_problem_kinds"] = problems
    streams = [f"orders.order:{pk}" for pk in new.order_by("?").values_list("pk", flat=True)[:50]]
    _n, broken = verify_chain(streams) if streams else (0, None)
    if broken is None and streams:
        broken = verify_heads(streams)
    checks["chain_broken"] = (
        None if broken is None else f"{broken.stream}#{broken.seq}: {broken.reason}"
    )
    connections.close_all()
    return checks


def _drift(moved: Decimal, rows: Decimal | None) -> int:
    """1 when a counter moved by other than what the new rows add up to (to the cent: SQLite
    sums in floating point), else 0."""
    return int(abs(Decimal(moved) - Decimal(rows or 0)) >= Decimal("0.005"))


# --- statements per order --------------------------------------------------------------------


def count_statements(hot: Hot, lines: int, repeat: int = 3) -> dict[str, Any]:
    """SQL statements the services issue for one create + confirm (CaptureQueriesContext,
    nothing excluded), with a fresh user as a request would have (its roles read with it)."""
    client = ServicesClient(hot, lines)
    rng = random.Random(lines)
    client.op(rng)  # first call pays one-off costs (content types, caches)
    samples = []
    for _ in range(repeat):
        # as a request's user: the roles came with it (core.auth), the rest is read again
        for cached in ("_orderdesk_terms", "_orderdesk_team"):
            client.user.__dict__.pop(cached, None)
        products = rng.sample(hot.product_ids, lines)
        with CaptureQueriesContext(connection) as create_q:
            order = client.create(
                by=client.user,
                customer=hot.customer_id,
                lines=[client.LineInput(product=p, quantity=QUANTITY) for p in products],
            )
        with CaptureQueriesContext(connection) as confirm_q:
            client.confirm(by=client.user, order=order.pk)
        samples.append((create_q.captured_queries, confirm_q.captured_queries))
    create, confirm = max(samples, key=lambda s: len(s[0]) + len(s[1]))
    return {
        "lines": lines,
        "create": len(create),
        "confirm": len(confirm),
        "total": len(create) + len(confirm),
        "transaction_control": sum(_is_control(q["sql"]) for q in (*create, *confirm)),
        "statements": {
            "create": [_label(q["sql"]) for q in create],
            "confirm": [_label(q["sql"]) for q in confirm],
        },
        "by_app": by_app([*create, *confirm]),
        "sql": {
            "create": [q["sql"][:400] for q in create],
            "confirm": [q["sql"][:400] for q in confirm],
        },
    }


def count_raw_statements(hot: Hot, lines: int) -> dict[str, Any]:
    """What the raw SQL client sends for one order: its statements per transaction, and
    BEGIN/COMMIT (the same for any number of lines: every multi-row statement stays one)."""
    client = RawClient(hot, lines)
    try:
        rng = random.Random(lines + 7)
        client.op(rng)
        client.statements = client.control = 0
        client.log = []
        client.op(rng)
        per: dict[str, list[str]] = {}
        for tx, sql in client.log:
            per.setdefault(tx, []).append(_label(sql))
        return {
            "lines": lines,
            "total": client.statements + client.control,
            "data": client.statements,
            "transaction_control": client.control,
            "transactions": {tx: len(labels) for tx, labels in per.items()},
            "statements": per,
            "by_app": by_app([{"sql": sql} for _tx, sql in client.log]),
        }
    finally:
        client.close()


def count_api_statements(hot: Hot, repeat: int = 3) -> dict[str, Any]:
    """The same count through the API views (Django's test client in this process: token
    auth, serializers and the response body included), for the request the API client
    sends: create and confirm in one request (`"confirm": true`, `Prefer: return=minimal`)."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {hot.token}", HTTP_PREFER="return=minimal")
    rng = random.Random(99)

    def post(path: str, body: dict) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json")

    body = {"lines": [{"product": p, "quantity": QUANTITY} for p in hot.product_ids[:5]]}
    post("/api/v1/orders/", {"customer": hot.customer_id, **body, "confirm": True})
    best = None
    for _ in range(repeat):
        products = rng.sample(hot.product_ids, LINES_PER_ORDER)
        body = {
            "customer": hot.customer_id,
            "lines": [{"product": p, "quantity": QUANTITY} for p in products],
            "confirm": True,
        }
        with CaptureQueriesContext(connection) as create_q:
            response = post("/api/v1/orders/", body)
        if response.status_code != 201 or response.json().get("status") != "confirmed":
            raise RuntimeError(f"POST /api/v1/orders/ answered {response.status_code}")
        sample = (create_q.captured_queries, [])
        if best is None or len(sample[0]) > len(best[0]):
            best = sample
    create, confirm = best
    return {
        "lines": LINES_PER_ORDER,
        "create": len(create),
        "confirm": len(confirm),
        "total": len(create) + len(confirm),
        "transaction_control": sum(_is_control(q["sql"]) for q in (*create, *confirm)),
        "statements": {
            "create": [_label(q["sql"]) for q in create],
            "confirm": [_label(q["sql"]) for q in confirm],
        },
        "by_app": by_app([*create, *confirm]),
    }


def by_app(queries: list[dict]) -> dict[str, int]:
    """Statements per app (the table's prefix; BEGIN, COMMIT and savepoints as
    "transaction"): which app's code a statement budget goes to."""
    counts: Counter = Counter()
    for q in queries:
        if _is_control(q["sql"]):
            counts["transaction"] += 1
            continue
        table = _label(q["sql"]).split(" ")[1:2]
        counts[table[0].split("_", 1)[0] if table else "other"] += 1
    return dict(counts.most_common())


def _is_control(sql: str) -> bool:
    return sql.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', re.IGNORECASE)
_MAIN_VERB = re.compile(r"\)\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_JOIN = re.compile(r"\bJOIN\b", re.IGNORECASE)


_SUBQUERY = re.compile(r"\(\s*SELECT\b[^()]*\)", re.IGNORECASE)
_PARENS = re.compile(r"\([^()]*\)")


def _label(sql: str) -> str:
    """ "SELECT customers_customer" style: the verb, the table, and FOR UPDATE / conflict."""
    verb = sql.split(None, 1)[0].upper()
    if verb == "WITH":  # a common table expression first: the statement's own verb
        main = _MAIN_VERB.search(sql)
        verb = main.group(1).upper() if main else verb
    table = None
    for inner in (_PARENS, _SUBQUERY):  # every parenthesis, else the subqueries only
        outer = sql
        while True:  # the table of the statement, not of a subquery in its select list
            stripped = inner.sub("…", outer)
            if stripped == outer:
                break
            outer = stripped
        table = _TABLE.search(outer)
        if table:
            break
    label = f"{verb} {table.group(1) if table else ''}".strip()
    if "FOR UPDATE" in sql.upper():
        label += " FOR UPDATE"
    if "ON CONFLICT" in sql.upper():
        label += " ON CONFLICT"
    if verb == "SELECT" and _JOIN.search(sql):
        label += " (join)"
    return label


# --- gunicorn --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving orderdesk on 127.0.0.1:<free port>, stopped by its PID."""

    def __init__(self, *, database_url: str, workers: int, log: Path) -> None:
        self.database_url, self.workers, self.log = database_url, workers, log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DEBUG": "0",
            "CONN_MAX_AGE": "600",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        self.logfile = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "orderdesk.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--log-level", "warning", "--timeout", "120", "--graceful-timeout", "5"],
            cwd=REPO, env=env, stdout=self.logfile, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not listen within 60 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to the master's PID: it stops its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()

    @property
    def base(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def probe_api(hot: Hot, base: tuple[str, int]) -> str:
    """'' when create and confirm answer as the benchmark needs, else why not."""
    client = ApiClient(hot, base)
    try:
        status, data = client.post(
            "/api/v1/orders/",
            {
                "customer": hot.customer_id,
                "lines": [{"product": hot.product_ids[0], "quantity": QUANTITY}],
            },
        )
        if status != 201 or not isinstance(data, dict) or "id" not in data:
            return f"POST /api/v1/orders/ answered {status}: {str(data)[:160]}"
        status, data = client.post(f"/api/v1/orders/{data['id']}/confirm/", None)
        if status != 200:
            return f"POST /api/v1/orders/<id>/confirm/ answered {status}: {str(data)[:160]}"
        return ""
    except OSError as exc:
        return f"the API did not answer: {exc}"
    finally:
        client.close()


def probe_latency(hot: Hot, n: int = 300) -> dict[str, float]:
    """What one statement and one flushed commit cost here: the unit of every figure above."""
    import psycopg

    out: dict[str, float] = {}
    with psycopg.connect(libpq_url(hot.database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO core_numberseries (key, year, last_value) VALUES ('bench.probe', 1, 0) "
            "ON CONFLICT (key, year) DO NOTHING"
        )
        for name, sql in (
            ("select_1_ms", "SELECT 1"),
            ("commit_flushed_ms",
             "UPDATE core_numberseries SET last_value = last_value + 1 "
             "WHERE key = 'bench.probe' AND year = 1"),
        ):  # fmt: skip
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                conn.execute(sql)
                times.append(time.perf_counter() - t0)
            times.sort()
            out[name] = round(times[len(times) // 2] * 1000, 3)
        conn.execute("DELETE FROM core_numberseries WHERE key = 'bench.probe'")
    return out


# --- one database's measurements -------------------------------------------------------------


def measure(
    *,
    duration: float,
    clients: tuple[int, ...],
    paths: tuple[str, ...],
    gunicorn_workers: int = 0,
    log_dir: str = "",
    repeat: int = 1,
    progress=print,
    statements_only: bool = False,
) -> dict[str, Any]:
    """All runs against the current database; what the report needs, as plain data.

    A step that fails is recorded (`errors`) and the others still run. `statements_only`
    counts the statements per order (services, and the API views when "api" is in `paths`)
    and skips the throughput runs."""
    hot = prepare_hot()
    out: dict[str, Any] = {"vendor": hot.vendor, "hot": asdict(hot) | {"token": "…"}}
    out["statements"], out["errors"], runs = {}, [], []
    out["runs"] = runs
    for n in (1, LINES_PER_ORDER, 20):
        try:
            out["statements"][str(n)] = count_statements(hot, n)
            progress(f"[{hot.vendor}] statements per order, {n} lines: "
                     f"{out['statements'][str(n)]['total']}  by app: "
                     f"{out['statements'][str(n)]['by_app']}")  # fmt: skip
        except Exception as exc:
            out["errors"].append(f"statements, {n} lines: {exc!r}")
            progress(f"[{hot.vendor}] statements per order, {n} lines failed: {exc!r}")

    out["raw_statements"] = {}
    for n in (LINES_PER_ORDER, 20):
        try:
            out["raw_statements"][str(n)] = raw = count_raw_statements(hot, n)
            progress(f"[{hot.vendor}] raw SQL statements per order, {n} lines: {raw['total']} "
                     f"({raw['data']} + {raw['transaction_control']} BEGIN/COMMIT; per "
                     f"transaction {raw['transactions']})")  # fmt: skip
        except Exception as exc:
            out["errors"].append(f"raw statements, {n} lines: {exc!r}")
            progress(f"[{hot.vendor}] raw statements, {n} lines failed: {exc!r}")

    def one(path: str, n: int, **kw) -> RunResult:
        try:
            result = run(RunConfig(path=path, clients=n, duration=duration, hot=hot, **kw))
        except Exception as exc:
            result = RunResult(db=hot.vendor, path=path, clients=n, fatal=repr(exc))
        progress(
            f"[{hot.vendor}] {path:8} {n} clients: {result.rate:8.1f} orders/s  "
            f"p50 {result.p50_ms} ms  p99 {result.p99_ms} ms  errors {result.errors or 0}"
            + (f"  retried {result.retries}" if result.retries else "")
            + (f"  FATAL {result.fatal[:300]}" if result.fatal else "")
        )
        return result

    def series(path: str, **kw) -> None:
        """`repeat` rounds over the client counts (interleaved against drift); the median
        round by rate stands, errors and checks of every round count."""
        done: dict[int, list[RunResult]] = {n: [] for n in clients}
        for _round in range(max(1, repeat)):
            for n in clients:
                done[n].append(one(path, n, **kw))
        for n in clients:
            runs.append(_median(done[n]).as_dict())

    def skip(why: str) -> None:
        progress(f"[{hot.vendor}] api skipped: {why}")
        runs.extend(
            RunResult(db=hot.vendor, path="api", clients=n, skipped=why).as_dict() for n in clients
        )

    if hot.vendor == "postgresql":
        try:
            out["latency"] = probe_latency(hot)
            progress(f"[{hot.vendor}] round trip and flushed commit (median): {out['latency']}")
        except Exception as exc:
            out["errors"].append(f"latency probe: {exc!r}")

    if "api" in paths:
        try:
            out["api_statements"] = count_api_statements(hot)
            progress(f"[{hot.vendor}] statements per order through the API views: "
                     f"{out['api_statements']['total']}")  # fmt: skip
        except Exception as exc:
            out["errors"].append(f"api statements: {exc!r}")
            progress(f"[{hot.vendor}] API statements not counted: {exc!r}")

    if statements_only:
        return out
    for path in paths:
        if path != "api":
            series(path)
            continue
        workers = gunicorn_workers or (2 * (os.cpu_count() or 1) + 1)
        log_path = Path(log_dir or tempfile.gettempdir())
        log_path.mkdir(parents=True, exist_ok=True)
        log = log_path / f"gunicorn-{time.strftime('%Y%m%d-%H%M%S')}.log"
        try:
            with Gunicorn(database_url=hot.database_url, workers=workers, log=log) as server:
                why = probe_api(hot, server.base)
                if why:
                    skip(why)
                    continue
                out["gunicorn_workers"] = workers
                series("api", api_base=server.base)
        except Exception as exc:
            skip(f"{exc!r}")
    return out
