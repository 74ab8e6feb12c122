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
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction
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


def atomic_with_retry(func: Callable[P, T]) -> Callable[P, T]:
    """Run `func` in its own transaction, retrying it when the database says "try again".

    Only the outermost call retries: inside another transaction the error propagates so the
    outer retry starts the whole unit of work again.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        attempts = settings.ORDERDESK["DB_RETRIES"]
        for attempt in range(attempts + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
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
