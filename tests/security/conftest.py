"""Fixtures of the security suite: one world per test module (tests/security/world.py)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from .world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the module in a transaction rolled back at its end.

    Tests using it run each request in a savepoint they roll back. The module must be marked
    `django_db` (pytestmark), or pytest-django would not set the test database up at all.
    """
    name = str(connection.settings_dict["NAME"])
    assert "test" in name or "memory" in name, f"not a test database: {name}"
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
