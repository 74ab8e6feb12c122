"""Hardening of the production profile, the log-in page and the API.

The production profile is examined in child processes (settings load once per process):
`check --deploy` clean, no debug pages, secure headers and cookies, secrets only from the
environment. Log-in throttling, API rate limits, password validation and CSRF run in-process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from orderdesk.core import auth
from orderdesk.testing.factories import UserFactory

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "demo12345"


@pytest.fixture(scope="module")
def production_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a production process, with its static files collected."""
    root = tmp_path_factory.mktemp("production")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ORDERDESK_", "DJANGO_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    env.update(
        ORDERDESK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="orders.example.com",
        ORDERDESK_VAR_DIR=str(root / "var"),
        STATIC_ROOT=str(root / "static"),
        DJANGO_SETTINGS_MODULE="orderdesk.settings",
        PYTHONPATH=str(REPO),
    )
    env.pop("DATABASE_URL", None)
    (root / "var").mkdir()
    collect = run_manage(env, "collectstatic", "--noinput", "-v0")
    assert collect.returncode == 0, collect.stderr
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def probe(production_env) -> dict:
    """What a production process answers (tests/security/production_probe.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.production_probe"],
        env={**production_env, "DEBUG": "1"},  # asking for debug must not get it
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- the production profile ---------------------------------------------------------------


def test_check_deploy_is_clean_in_the_production_profile(production_env):
    done = run_manage(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


def test_production_refuses_to_start_without_a_secret_key_from_the_environment(production_env):
    for key in ("", "short-key"):
        done = run_manage({**production_env, "SECRET_KEY": key}, "check")
        assert done.returncode != 0
        assert "production needs SECRET_KEY" in done.stderr


def test_production_never_runs_in_debug_even_when_asked(probe):
    assert probe["DEBUG"] is False


def test_production_pages_are_not_debug_pages(probe):
    missing, boom = probe["missing"], probe["boom"]
    assert missing["status"] == 404
    assert "not_found" in missing["body"]
    assert "Page not found (404)" not in missing["body"]  # Django's technical 404
    assert "URLconf" not in missing["body"]
    assert boom["status"] == 500
    assert "Traceback" not in boom["body"]
    assert "hunter2" not in boom["body"]
    assert "RuntimeError" not in boom["body"]


def test_production_sends_secure_headers_and_cookies(probe):
    assert probe["SESSION_COOKIE_SECURE"] and probe["CSRF_COOKIE_SECURE"]
    assert probe["SESSION_COOKIE_HTTPONLY"]
    assert probe["http_redirect"] == [301, "https://orders.example.com/login/"]
    headers = probe["login"]["headers"]
    assert probe["login"]["status"] == 200
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "includeSubDomains" in headers["strict-transport-security"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert probe["login"]["cookies"]["csrftoken"]["secure"]  # the log-in form's CSRF cookie


def test_production_limits_api_rates_by_default(probe):
    assert probe["API_RATE_USER"] and probe["API_RATE_ANON"]


def test_production_counts_log_ins_and_rates_in_the_shared_database_cache(probe):
    # one lock-out and one rate for all application processes (test_shared_cache.py)
    assert probe["CACHE"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert probe["CACHE"]["LOCATION"] == "orderdesk_cache"


def test_no_secret_is_written_in_the_settings():
    text = (REPO / "orderdesk" / "settings.py").read_text()
    # the one key written down is the development key, which production refuses (too short)
    assert re.findall(r'"SECRET_KEY", "([^"]+)"', text) == [
        "dev-only-insecure-key-change-me-0123456789abcdef"
    ]
    assert len("dev-only-insecure-key-change-me-0123456789abcdef") < 50
    # nor any password, token or key assigned a literal
    assert not re.search(r"(PASSWORD|TOKEN|_KEY)\w*\s*=\s*['\"]", text)


# --- log-in throttling ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk", roles=["sales_manager"])


def log_in(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_a_correct_log_in_works(client, clerk):
    response = log_in(client, "clerk", PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(clerk.pk)


def test_after_five_failures_the_log_in_is_refused_even_with_the_right_password(client, clerk):
    for _ in range(5):
        assert log_in(client, "clerk", "wrong").status_code == 200  # the form, with its error

    refused = log_in(client, "clerk", PASSWORD)

    assert refused.status_code == 429
    assert "Too many failed log-ins" in refused.text
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_user_name_and_address(client, clerk):
    UserFactory(username="other", roles=["sales_manager"])
    for _ in range(5):
        log_in(client, "clerk", "wrong")
    assert log_in(Client(), "clerk", PASSWORD, ip="10.0.0.2").status_code == 302
    assert log_in(Client(), "other", PASSWORD).status_code == 302
    # the user name is compared without case and surrounding blanks
    assert log_in(Client(), " CLERK ", PASSWORD).status_code == 429


def test_the_admin_log_in_obeys_the_same_lock(client, clerk):
    clerk.is_staff = True
    clerk.save()
    for _ in range(5):
        log_in(client, "clerk", "wrong")
    admin = Client().post(
        reverse("admin:login"),
        {"username": "clerk", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert admin.status_code == 200  # the form again, not the redirect into the admin
    assert "_auth_user_id" not in admin.client.session


def test_a_success_before_the_limit_clears_the_failures(client, clerk):
    for _ in range(4):
        log_in(client, "clerk", "wrong")
    assert log_in(Client(), "clerk", PASSWORD).status_code == 302
    for _ in range(4):
        log_in(client, "clerk", "wrong")
    assert log_in(Client(), "clerk", PASSWORD).status_code == 302


def test_the_lock_ends_when_the_window_has_passed(client, clerk, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    for _ in range(5):
        log_in(client, "clerk", "wrong")
        now[0] += 60
    assert log_in(Client(), "clerk", PASSWORD).status_code == 429
    # the first failure leaves the 15-minute window: four remain, under the limit
    now[0] = 1_000_000.0 + 15 * 60 + 1
    assert log_in(Client(), "clerk", PASSWORD).status_code == 302


def test_the_refusal_says_how_long_to_wait(client, clerk):
    for _ in range(5):
        log_in(client, "clerk", "wrong")
    with override_settings(LANGUAGE_CODE="en"):
        refused = Client(HTTP_ACCEPT_LANGUAGE="en").post(
            reverse("login"), {"username": "clerk", "password": "x"}, REMOTE_ADDR="10.0.0.1"
        )
    assert refused.status_code == 429
    assert "Try again in 15 minutes." in refused.text


def test_password_validation_refuses_weak_passwords(db):
    for weak in ("12345678", "password", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Kashtan-Zhovtnia-2026!")


# --- API rate limits ------------------------------------------------------------------------


def test_the_api_refuses_a_user_above_the_rate_with_429_throttled(clerk, settings):
    settings.ORDERDESK = {**settings.ORDERDESK, "API_RATE_USER": "3/minute"}
    client = Client()
    client.force_login(clerk)
    answers = [client.get("/api/v1/currencies/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/currencies/")
    assert refused.json()["code"] == "throttled"
    assert "Retry-After" in refused.headers


def test_the_api_rates_are_off_when_empty(clerk, settings):
    settings.ORDERDESK = {**settings.ORDERDESK, "API_RATE_USER": ""}
    client = Client()
    client.force_login(clerk)
    assert {client.get("/api/v1/currencies/").status_code for _ in range(10)} == {200}


# --- CSRF -----------------------------------------------------------------------------------


def test_a_page_post_without_the_csrf_token_is_refused(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post(reverse("orders:create"), {})
    assert response.status_code == 403


def test_an_api_write_with_the_session_but_without_the_csrf_token_is_refused(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post("/api/v1/orders/", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]
