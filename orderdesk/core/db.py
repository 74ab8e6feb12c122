"""Retrying transactions that lost a race.

PostgreSQL answers a serialization failure (40001) or a deadlock (40P01) by aborting the
transaction; SQLite answers "database is locked" when the busy timeout ran out. Each is
safe to retry from the start, a bounded number of times; after that the caller gets a
`busy_retry` error (503), never a 500.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.utils import DatabaseError
from django.utils.translation import gettext as _

from .errors import Busy

P = ParamSpec("P")
T = TypeVar("T")

RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_retryable(exc: BaseException) -> bool:
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


# --- the unit of work: what a service defers to the end of its transaction ------------------

_UNIT = "_orderdesk_unit_of_work"


class _Unit:
    """The objects of an open unit of work, and the savepoints it knows: its own start and
    each `savepoint()` (or nested service call) open inside it."""

    def __init__(self, sids: tuple) -> None:
        self.objects: dict[str, Any] = {}
        self.levels: list[tuple] = [sids]


def _conn_state() -> dict:
    return connections[DEFAULT_DB_ALIAS].__dict__  # not the proxy's: that one is every thread's


def unit_of_work(key: str, factory: Callable[[], T]) -> T | None:
    """The object `key` of the open unit of work, made by `factory()` at its first use, or
    None when the caller must write at once: no unit is open, or the caller runs inside a
    savepoint the unit does not know (a plain `transaction.atomic()` that may roll back
    alone).

    A unit of work is the outermost `atomic_with_retry` call on the default connection (in
    production its transaction; in a test's wrapping transaction, its savepoint). When the
    call returns, each object's `flush()` runs, in the order they were made, still inside the
    transaction and before the commit: an error there rolls the unit back like any other.
    What a flush writes must not be needed by a read earlier in the unit. A step in
    `savepoint()` (or a nested service call) that fails takes back what it deferred: each
    object has `checkpoint()` and `rollback_to(mark)`."""
    conn = connections[DEFAULT_DB_ALIAS]
    unit = conn.__dict__.get(_UNIT)
    if unit is None or not conn.in_atomic_block or tuple(conn.savepoint_ids) != unit.levels[-1]:
        return None
    obj = unit.objects.get(key)
    if obj is None:
        obj = unit.objects[key] = factory()
    return obj


@contextmanager
def _level(unit: _Unit):
    """A savepoint inside `unit` (just opened by the caller): deferred objects are taken back
    to where they were when it fails."""
    marks = {key: obj.checkpoint() for key, obj in unit.objects.items()}
    unit.levels.append(tuple(connections[DEFAULT_DB_ALIAS].savepoint_ids))
    try:
        yield
    except BaseException:
        for key, obj in list(unit.objects.items()):
            if key in marks:
                obj.rollback_to(marks[key])
            else:
                del unit.objects[key]
        raise
    finally:
        unit.levels.pop()


@contextmanager
def savepoint():
    """`transaction.atomic()` for a step inside a unit of work that may fail without undoing
    it (the caller catches the error): what the step deferred to the unit is dropped with it,
    what it deferred and succeeded is kept."""
    with transaction.atomic():
        unit = _conn_state().get(_UNIT)
        if unit is None:
            yield
            return
        with _level(unit):
            yield


def _as_unit(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`func` as a unit of work (called inside its transaction or savepoint)."""
    state = _conn_state()
    unit = state.get(_UNIT)
    if unit is not None:  # a service called by another: part of its unit, as a savepoint
        with _level(unit):
            return func(*args, **kwargs)
    state[_UNIT] = unit = _Unit(tuple(connections[DEFAULT_DB_ALIAS].savepoint_ids))
    try:
        result = func(*args, **kwargs)
        for obj in list(unit.objects.values()):
            obj.flush()
        return result
    finally:
        state.pop(_UNIT, None)


def atomic_with_retry(func: Callable[P, T]) -> Callable[P, T]:
    """Run `func` in its own transaction, retrying it when the database says "try again".

    Only the outermost call retries: inside another transaction the error propagates so the
    outer retry starts the whole unit of work again. The outermost call is also a unit of
    work (`unit_of_work`): what was deferred to its end is written before it commits.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if connection.in_atomic_block:
            with transaction.atomic():
                return _as_unit(func, *args, **kwargs)
        attempts = settings.ORDERDESK["DB_RETRIES"]
        for attempt in range(attempts + 1):
            try:
                with transaction.atomic():
                    return _as_unit(func, *args, **kwargs)
            except DatabaseError as exc:
                if not is_retryable(exc) or attempt == attempts:
                    if is_retryable(exc):
                        raise Busy(
                            _("The database is busy; please try again."), code="busy_retry"
                        ) from exc
                    raise
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
