"""Shared test set-up: database markers, role users, a small priced catalogue."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal

import pytest
from django.db import connection

from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
)


def pytest_configure(config):
    from django.conf import settings

    # Hashing demo passwords with PBKDF2 dominates a suite that makes many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _flush_past_the_truncate_triggers()


# the statement triggers of audit.0004 that refuse TRUNCATE of the history
_NO_TRUNCATE = (
    ("audit_event", "audit_event_no_truncate"),
    ("audit_streamhead", "audit_streamhead_no_truncate"),
)


def _flush_past_the_truncate_triggers():
    """The flush after a `transactional_db` test empties every table with one TRUNCATE, which
    the history's triggers refuse (as they should in production). Tests only: switch them
    off inside the flush's own transaction, which switches them on again before it commits."""
    try:
        from django.db.backends.postgresql.operations import DatabaseOperations
    except ImportError:  # no PostgreSQL driver: nothing to flush there
        return

    original = DatabaseOperations.execute_sql_flush
    if getattr(original, "keeps_history_triggers", False):
        return

    def execute_sql_flush(self, sql_list):
        if not sql_list:
            return original(self, sql_list)
        off = [f"ALTER TABLE IF EXISTS {t} DISABLE TRIGGER {n}" for t, n in _NO_TRUNCATE]
        on = [f"ALTER TABLE IF EXISTS {t} ENABLE TRIGGER {n}" for t, n in _NO_TRUNCATE]
        return original(self, [*off, *sql_list, *on])

    execute_sql_flush.keeps_history_triggers = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush


def pytest_collection_modifyitems(config, items):
    require_pg = os.environ.get("ORDERDESK_REQUIRE_POSTGRES") == "1"
    on_pg = "postgres" in os.environ.get("DATABASE_URL", "")
    require_browser = os.environ.get("ORDERDESK_REQUIRE_BROWSER") == "1"
    has_browser = bool(shutil.which("chromium") or os.path.exists("/usr/bin/chromium"))
    for item in items:
        if "postgres" in item.keywords and not on_pg and not require_pg:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "browser" in item.keywords and not has_browser and not require_browser:
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium"))


@pytest.fixture(autouse=True)
def _seed_rows(request):
    """Make sure the data-migration rows exist before a test that uses the database, whatever
    committed-and-flushed test ran before it in this process."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if uses_db:
        from orderdesk.testing.seed import is_seeded, reseed

        blocker = request.getfixturevalue("django_db_blocker")
        with blocker.unblock():
            if not is_seeded():
                reseed()
    yield


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """Each test starts without the process cache of reference data (core.cache)."""
    from orderdesk.core import cache

    cache.clear()


@pytest.fixture(autouse=True)
def english(settings):
    """Tests read English msgids; the Ukrainian default is tested in orderdesk/core/tests/test_i18n.py."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL; run it with DATABASE_URL=postgres://...")


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="MAIN", name="Основний склад")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", roles=["administrator"])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=["sales_manager"])


@pytest.fixture
def other_manager(db):
    return UserFactory(username="other_manager", roles=["sales_manager"])


@pytest.fixture
def head(db):
    return UserFactory(username="head", roles=["sales_head"])


@pytest.fixture
def price_list(db):
    return PriceListFactory(code="WHOLESALE", name="Wholesale")


@pytest.fixture
def product(db, warehouse, price_list):
    product = ProductFactory(sku="NAIL-100", name="Цвяхи 100 мм", cost_price=Decimal("60"))
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("100"))
    return product


@pytest.fixture
def customer(db, manager):
    return CustomerFactory(short_name="Альфа", legal_name="ТОВ «Альфа»", manager=manager)


@pytest.fixture
def contract(db, customer, price_list):
    return ContractFactory(customer=customer, number="15/2026", price_list=price_list)


@pytest.fixture
def keep_seed_data(django_db_setup, django_db_blocker):
    """Put back the rows the data migrations seeded (currencies, roles, payment terms, the
    rights matrix...) after a `transactional_db` test, whose teardown empties every table.

    Request it BEFORE `transactional_db` (or use `committed_db`) so that its teardown runs
    after the flush. Without it, every later test in the same process that needs a seeded
    row (a role group, "net14") fails.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
    # Django's flush after a serialized-rollback test then skips re-creating content types
    # and permissions (the slow part); see committed_db
    had_contents = hasattr(connection, "_test_serialized_contents")
    previous = getattr(connection, "_test_serialized_contents", None)
    connection._test_serialized_contents = saved
    yield
    with django_db_blocker.unblock():
        if had_contents:
            connection._test_serialized_contents = previous
        else:
            del connection._test_serialized_contents
        if ContentType.objects.exists():
            # the flush re-created content types and permissions under new ids: empty the
            # tables again without that signal, then load the saved rows with their own ids
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                inhibit_post_migrate=True,
                reset_sequences=False,
            )
        connection.creation.deserialize_db_from_string(saved)


@pytest.fixture
def committed_db(keep_seed_data, transactional_db, django_db_serialized_rollback):
    """`transactional_db` (real commits: threads, retries, locks) that leaves the seeded rows
    as it found them for the tests that follow."""
