"""Run one bench step in a fresh process with its own database settings.

Django reads DATABASE_URL once per process, and the benchmark uses two databases (a
PostgreSQL one and an SQLite file); each step therefore runs in a spawned process that sets
its environment, calls django.setup() and then the step, and sends the result back.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import traceback
from typing import Any


class PhaseError(RuntimeError):
    """A step failed in its process; the message carries the traceback."""


def _main(conn, env: dict[str, str], target: str, kwargs: dict[str, Any]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderdesk.settings")
    try:
        import django

        django.setup()
        module, name = target.rsplit(".", 1)
        result = getattr(importlib.import_module(module), name)(**kwargs)
        conn.send(("ok", result))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def call(target: str, *, env: dict[str, str], **kwargs: Any) -> Any:
    """`module.function(**kwargs)` in a new process with `env` added to its environment."""
    ctx = mp.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_main, args=(sender, env, target, kwargs))
    proc.start()
    sender.close()
    try:
        status, value = receiver.recv()
    except EOFError:
        status, value = "error", f"the process of {target} died (exit code {proc.exitcode})"
    finally:
        proc.join()
    if status == "error":
        raise PhaseError(value)
    return value
