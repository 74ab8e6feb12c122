"""What the scale-out scripts share (no Django here): logging, the bench database, the
private PostgreSQL clusters (scripts/crash.py's `PrivatePostgres`, extended with a replica
made by `pg_basebackup -R`) and the figures-beside-targets table (bench.report)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import phases
from bench.__main__ import migrate, pg_recreate
from bench.report import Row, format_table

REPO = Path(__file__).resolve().parent.parent.parent
RESULTS = REPO / "bench" / "results"
# the shared server's bench database of these scripts (dropped and created by them)
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/od_scale"

__all__ = ["Row", "format_table", "migrate", "pg_recreate", "phases"]


def say(msg: str) -> None:
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prepare(url: str, *, scale: str, workers: int = 2, seed: int = 20260101) -> dict[str, Any]:
    """Drop and create the database at `url`, migrate it and fill it with the bench generator."""
    say(f"recreating {url.rsplit('/', 1)[1]} on {url.split('@')[1].split('/')[0]}, migrating")
    pg_recreate(url)
    migrate(url)
    say(f"generating the {scale} data set (bench.generate, COPY)")
    out = phases.call(
        "bench.generate.generate", env={"DATABASE_URL": url, "DEBUG": "0"}, scale=scale,
        seed=seed, workers=workers, fast=True,
    )  # fmt: skip
    say(f"generated {out['rows']['orders']:,} orders in {out['seconds']['total']:.1f} s")
    return out


def table(rows: list[Row]) -> str:
    return format_table(
        ["figure", "measured", "target", "pass/miss"],
        [[r.figure, r.measured, r.target, r.status] for r in rows],
    )


def ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


# --- private clusters (scripts/crash.py) ----------------------------------------------------


def _crash() -> ModuleType:
    """scripts/crash.py as a module (scripts/ is not a package)."""
    name = "orderdesk_scripts_crash"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "crash.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def postgres_bindir() -> Path:
    """The server binaries: pg_ctl on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not candidates:
        raise SystemExit("no PostgreSQL server binaries (pg_ctl) on this machine")
    return candidates[-1].parent


class Cluster(_crash().PrivatePostgres):
    """A private cluster in `root` (its own port on 127.0.0.1, trust auth): a primary made
    with initdb, or a streaming replica made with pg_basebackup -R from one."""

    def __init__(self, root: Path, name: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(root)
        self.name = name
        self.bindir = postgres_bindir()
        self.started = False

    def init(self, settings: dict[str, str] | None = None) -> None:
        """initdb (its pg_hba already lets 127.0.0.1 replicate) plus `settings`."""
        super().init()
        if settings:
            lines = "".join(f"{k} = {v}\n" for k, v in settings.items())
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write("\n# bench.scaleout\n" + lines)

    def basebackup_from(self, primary: Cluster) -> None:
        """A copy of `primary` that follows it: pg_basebackup -R writes standby.signal and
        primary_conninfo, so the copy starts as a hot standby streaming the primary's WAL."""
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
        self._run("pg_basebackup", "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
                  "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres")  # fmt: skip

    def start(self) -> None:
        super().start()
        self.started = True

    def stop(self) -> None:
        """pg_ctl stop (fast); if that fails, SIGTERM to this cluster's postmaster PID."""
        if not self.started:
            return
        super().stop()
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():
            try:
                pid = int(pidfile.read_text().split()[0])
                os.kill(pid, signal.SIGTERM)
                time.sleep(2)
            except (OSError, ValueError):
                pass
        self.started = False

    def url_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def createdb_named(self, database: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database)
