"""Crash safety: orders keep being entered while application workers are killed with SIGKILL and
PostgreSQL is stopped hard and restarted; afterwards nothing is partial, lost or counted twice.

    python scripts/crash.py [--duration 60] [--clients 6] [--workers 3] [--sqlite]

It never touches the machine's PostgreSQL: it starts a private cluster (initdb in a temporary
directory, its own port, trust auth on loopback; as root the cluster runs as the `postgres`
system user) and removes it at the end. With --sqlite it uses a temporary SQLite file and only
kills workers.

The load is bounded and local: N client threads on 127.0.0.1, each creating orders through the
API with an Idempotency-Key and confirming them, retrying the same request (same key) after a
dropped connection or a 5xx, as a careful integration would. Meanwhile a worker is SIGKILLed
every few seconds (gunicorn starts a new one) and, on PostgreSQL, the server is stopped in
"immediate" mode (no checkpoint: crash recovery at the next start) every ~20 seconds.

Then, against the private database:
- `orderdesk reconcile` and `orderdesk verify_audit` pass (nothing partial, history intact);
- every order a client was told was created (201) exists with the number it was told;
- every Idempotency-Key created at most one order, and every order has its key (nothing twice);
- every order a client was told was confirmed is confirmed.
Exit code 0 when all hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[crash {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- a private PostgreSQL -------------------------------------------------------------------


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory; never the machine's server."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        pg_ctl = shutil.which("pg_ctl") or "/usr/lib/postgresql/15/bin/pg_ctl"
        self.bindir = Path(os.path.realpath(pg_ctl)).parent

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
        return done

    def init(self) -> None:
        self.data.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.data, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "log"),
                  "-w", "-t", "60", "start")  # fmt: skip

    def crash(self) -> None:
        """Stop without a checkpoint: the next start replays the WAL, as after a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/crash"

    def createdb(self) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "crash")


# --- the application ------------------------------------------------------------------------


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [PYTHON, str(REPO / "manage.py"), *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


SEED = """
from decimal import Decimal
from rest_framework.authtoken.models import Token
from orderdesk.testing.factories import (ContractFactory, CustomerFactory, PriceListFactory,
    PriceListItemFactory, ProductFactory, UserFactory, WarehouseFactory)
WarehouseFactory(code="MAIN", name="Main")
manager = UserFactory(username="crash.manager", roles=["sales_manager"])
price_list = PriceListFactory(code="CRASH", name="Crash")
products = [ProductFactory(sku=f"CR-{i}", name=f"Product {i}", balances=1000) for i in range(3)]
for p in products:
    PriceListItemFactory(price_list=price_list, product=p, price=Decimal("123.45"))
customer = CustomerFactory(short_name="Crash", manager=manager)
ContractFactory(customer=customer, price_list=price_list)
print(Token.objects.create(user=manager).key, customer.pk, ",".join(str(p.pk) for p in products))
"""


class Gunicorn:
    def __init__(self, env: dict, workers: int, log_path: Path):
        self.port = free_port()
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "orderdesk.wsgi:application", "-w", str(workers),
             "-b", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "5"],
            env=env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start; see {log_path}")

    def workers(self) -> list[int]:
        """The master's children, read from /proc (no kill by name)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# --- the load -------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the clients were told."""

    created: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (id, number)
    confirmed: set[int] = field(default_factory=set)
    retries: int = 0
    server_errors: int = 0
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: dict | None, headers: dict) -> tuple[int, dict]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            self.conn.request(
                method,
                path,
                body=json.dumps(body) if body is not None else None,
                headers={"Authorization": f"Token {self.token}",
                         "Content-Type": "application/json", **headers},
            )  # fmt: skip
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        try:
            return response.status, json.loads(raw or b"{}")
        except ValueError:
            return response.status, {}


def until_answered(client: Client, ledger: Ledger, method, path, body, headers, stop_at: float):
    """The same request again until the server answers below 500 (or time is up)."""
    while time.time() < stop_at + 60:  # let started work finish after the load window
        try:
            status, data = client.call(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            status, data = 0, {}
        if 0 < status < 500:
            return status, data
        with ledger.lock:
            ledger.retries += 1
            ledger.server_errors += status >= 500
        time.sleep(random.uniform(0.05, 0.3))
    return 0, {}


def client_loop(port, token, customer, products, ledger: Ledger, stop_at: float):
    client = Client(port, token)
    rng = random.Random()
    while time.time() < stop_at:
        key = uuid.uuid4().hex
        body = {
            "customer": customer,
            "lines": [
                {"product": p, "quantity": str(rng.randint(1, 5))}
                for p in rng.sample(products, rng.randint(1, len(products)))
            ],
        }
        status, data = until_answered(
            client, ledger, "POST", "/api/v1/orders/", body, {"Idempotency-Key": key}, stop_at
        )
        if status != 201:
            with ledger.lock:
                ledger.refused.append(f"create {status} {data.get('code')}")
            continue
        with ledger.lock:
            ledger.created[key] = (data["id"], data["number"])
        status, data = until_answered(
            client, ledger, "POST", f"/api/v1/orders/{data['id']}/confirm/", None, {}, stop_at
        )
        # a confirmation whose answer was lost is confirmed already: 409 invalid_transition
        if status == 200 or (status == 409 and data.get("code") == "invalid_transition"):
            with ledger.lock:
                ledger.confirmed.add(data.get("id") or 0)


# --- the checks -----------------------------------------------------------------------------


CHECK = """
import json, sys
from orderdesk.core.models import IdempotencyRecord
from orderdesk.orders.models import Order
told = json.load(sys.stdin)
problems = []
orders = {o.pk: o for o in Order.objects.all()}
for key, (pk, number) in told["created"].items():
    if pk not in orders:
        problems.append(f"order {pk} ({number}) was acknowledged and is lost")
    elif orders[pk].number != number:
        problems.append(f"order {pk} is {orders[pk].number}, the client was told {number}")
records = list(IdempotencyRecord.objects.filter(scope="orders.create"))
ids = [r.response.get("id") for r in records if r.status_code == 201]
if len(ids) != len(set(ids)):
    problems.append("two Idempotency-Keys answered with the same order")
if set(orders) != set(ids):
    problems.append(f"orders without their key: {sorted(set(orders) - set(ids))[:10]}; "
                    f"keys without their order: {sorted(set(ids) - set(orders))[:10]}")
for pk in told["confirmed"]:
    if pk and pk in orders and orders[pk].status == "draft":
        problems.append(f"order {pk} was acknowledged as confirmed and is a draft")
print(json.dumps({"orders": len(orders), "problems": problems}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between SIGKILLs")
    parser.add_argument("--pg-crash-every", type=float, default=20.0)
    parser.add_argument("--sqlite", action="store_true", help="SQLite file; no server restarts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="orderdesk-crash-"))
    os.chmod(root, 0o755)
    pg = None
    gunicorn = None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "ORDERDESK_"))}
    env.update(DEBUG="0", PYTHONPATH=str(REPO), ORDERDESK_VAR_DIR=str(root / "var"),
               DJANGO_SETTINGS_MODULE="orderdesk.settings", CONN_MAX_AGE="60")  # fmt: skip
    try:
        if args.sqlite:
            env["DATABASE_URL"] = f"sqlite:///{root / 'crash.sqlite3'}"
            (root / "var").mkdir()
        else:
            pg = PrivatePostgres(root)
            pg.init()
            pg.start()
            pg.createdb()
            env["DATABASE_URL"] = pg.url
        log(f"database: {env['DATABASE_URL']}")
        manage(env, "migrate", "--noinput", "-v0")
        seeded = manage(env, "shell", "-c", SEED).stdout.strip().splitlines()[-1]
        token, customer, products = seeded.split()
        products = [int(p) for p in products.split(",")]

        gunicorn = Gunicorn(env, args.workers, root / "gunicorn.log")
        ledger = Ledger()
        stop_at = time.time() + args.duration
        threads = [
            threading.Thread(
                target=client_loop,
                args=(gunicorn.port, token, int(customer), products, ledger, stop_at),
            )
            for _ in range(args.clients)
        ]
        for t in threads:
            t.start()
        kills = crashes = 0
        next_crash = time.time() + args.pg_crash_every
        while time.time() < stop_at:
            time.sleep(args.kill_every)
            workers = gunicorn.workers()
            if workers:
                os.kill(random.choice(workers), signal.SIGKILL)
                kills += 1
            if pg is not None and time.time() >= next_crash and time.time() < stop_at - 5:
                pg.crash()
                time.sleep(1)
                pg.start()
                crashes += 1
                next_crash = time.time() + args.pg_crash_every
        for t in threads:
            t.join()
        gunicorn.stop()
        gunicorn = None
        log(
            f"load done: {len(ledger.created)} orders acknowledged, {len(ledger.confirmed)} "
            f"confirmed, {kills} workers killed, {crashes} PostgreSQL crashes, "
            f"{ledger.retries} retries ({ledger.server_errors} answers 5xx), "
            f"{len(ledger.refused)} refusals"
        )

        failures = []
        for command in ("reconcile", "verify_audit"):
            done = manage(env, command, check=False)
            log(f"{command}: {(done.stdout + done.stderr).strip().splitlines()[-1:]}")
            if done.returncode != 0:
                failures.append(f"{command} failed:\n{done.stdout}{done.stderr}")
        told = json.dumps({"created": ledger.created, "confirmed": sorted(ledger.confirmed)})
        done = subprocess.run(
            [PYTHON, str(REPO / "manage.py"), "shell", "-c", CHECK],
            env=env, cwd=REPO, input=told, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            failures.append(f"the check could not run:\n{done.stderr}")
        else:
            result = json.loads(done.stdout.strip().splitlines()[-1])
            log(f"database: {result['orders']} orders")
            failures += result["problems"]
        if not ledger.created:
            failures.append("no order was acknowledged: the load did not run")
        if failures:
            log("FAILED:\n  " + "\n  ".join(failures))
            return 1
        log("ok: nothing partial, nothing lost, nothing twice")
        return 0
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        if pg is not None:
            pg.stop()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
