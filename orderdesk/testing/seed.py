"""Re-run the data migrations' seed functions (currencies, role groups, payment terms, the
rights matrix, cancellation reasons ...): a test that commits is followed by a flush that
empties every table, and the next test needs those rows again."""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import RunPython

_SEEDS: list | None = None


def seed_functions() -> list:
    global _SEEDS
    if _SEEDS is None:
        loader = MigrationLoader(None, ignore_no_migrations=True)
        found = []
        for key in sorted(loader.disk_migrations):
            if key[0] not in {c.label for c in apps.get_app_configs()}:
                continue
            for op in loader.disk_migrations[key].operations:
                if isinstance(op, RunPython) and op.code.__name__ == "seed":
                    found.append(op.code)
        _SEEDS = found
    return _SEEDS


def is_seeded() -> bool:
    from django.contrib.auth.models import Group

    from orderdesk.core.models import Currency

    return (
        Group.objects.filter(name="administrator").exists()
        and Currency.objects.filter(code="UAH").exists()
    )


class _Editor:
    """What the seed functions use of a schema editor: its connection. A real one cannot be
    opened on SQLite inside a transaction (a test's atomic block, when a test marked
    `django_db(transaction=True)` flushed the tables before the next test began)."""

    def __init__(self, conn) -> None:
        self.connection = conn


def reseed() -> None:
    editor = _Editor(connection)
    for seed in seed_functions():
        seed(apps, editor)
