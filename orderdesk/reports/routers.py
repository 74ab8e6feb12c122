"""Reports read from a PostgreSQL streaming replica when one is configured.

settings.py adds the "replica" database and this router only when DATABASE_REPLICA_URL is
set; without it nothing here runs and every query goes to "default".

Only report queries go to the replica, and only inside `replica_reads()` (the report pages,
the report API and the exports open it around the report's reads). Everything else stays on
the primary, and so do the reads that must see the user's own writes at once: saved variants
(saved, then listed on the next page) and the summary watermark. A replica lags a little;
reports are figures as of a moment, and a few seconds of lag is within what they promise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
PRIMARY = "default"
# models whose reads must see writes just made by the same user
PRIMARY_ONLY = frozenset({"reports.savedreport", "reports.summarywatermark"})

_reading_reports: ContextVar[bool] = ContextVar("orderdesk_reports_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads inside the block to the replica (when there is one)."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def report_database() -> str:
    """Where a report query runs now: the replica inside `replica_reads()`, else the primary."""
    if _reading_reports.get() and replica_configured():
        return REPLICA
    return PRIMARY


class ReportsReplicaRouter:
    """Reads inside `replica_reads()` go to the replica; writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.label_lower in PRIMARY_ONLY:
            return PRIMARY
        return report_database()

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # the replica is a copy of the primary: rows from either may refer to each other
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
