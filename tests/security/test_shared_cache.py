"""The log-in lock-out counts in Django's cache: `ORDERDESK_CACHE_URL` chooses it, and with the
database cache (the production default) every process counts in the same place.

Two "processes" here are two cache connections made from the same settings, as each
application process makes its own: with the database cache a failure counted by one is seen
by the other; with two per-process memory caches it is not (the reason for the setting).
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from orderdesk.core import auth
from orderdesk.settings import _cache_from_url
from orderdesk.testing.factories import UserFactory

PASSWORD = "demo12345"
DB_CACHE = {"default": _cache_from_url("db://orderdesk_cache_test")}


def test_the_cache_url_names_the_backend():
    assert _cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    db = _cache_from_url("db://")
    assert db["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert db["LOCATION"] == "orderdesk_cache"
    assert db["OPTIONS"]["MAX_ENTRIES"] >= 100_000
    assert _cache_from_url("db://other_table")["LOCATION"] == "other_table"
    redis = _cache_from_url("redis://127.0.0.1:6379/1")
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    with pytest.raises(ImproperlyConfigured, match="ORDERDESK_CACHE_URL"):
        _cache_from_url("memcached://127.0.0.1")


def fail_log_in(cache, monkeypatch, times: int) -> None:
    """`times` failed log-ins of clerk from one address, counted in `cache`."""
    monkeypatch.setattr(auth, "cache", cache)
    for _ in range(times):
        response = Client().post(
            reverse("login"), {"username": "clerk", "password": "wrong"}, REMOTE_ADDR="10.9.9.9"
        )
        assert response.status_code == 200


def is_locked(cache, monkeypatch) -> bool:
    monkeypatch.setattr(auth, "cache", cache)
    response = Client().post(
        reverse("login"), {"username": "clerk", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    return response.status_code == 429


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk", roles=["sales_manager"])


@override_settings(CACHES=DB_CACHE)
def test_with_the_database_cache_two_processes_share_the_lock_out(clerk, monkeypatch):
    call_command("createcachetable", verbosity=0)
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert isinstance(first, DatabaseCache) and first is not second

    fail_log_in(first, monkeypatch, 3)
    fail_log_in(second, monkeypatch, 2)

    assert is_locked(first, monkeypatch)
    assert is_locked(second, monkeypatch)


def test_with_per_process_caches_each_process_counts_alone(clerk, monkeypatch):
    # what the database cache fixes: the default cache of two processes
    first, second = LocMemCache("process-1", {}), LocMemCache("process-2", {})

    fail_log_in(first, monkeypatch, 3)
    fail_log_in(second, monkeypatch, 2)

    assert not is_locked(first, monkeypatch)
    assert not is_locked(second, monkeypatch)
