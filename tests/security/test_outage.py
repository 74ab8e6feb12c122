"""A database that cannot be reached answers 503 `database_unavailable` with Retry-After —
JSON under /api/, a plain page otherwise — and is logged; never a 500.

The outage is real: a child process whose DATABASE_URL names a PostgreSQL port nobody listens
on, or an SQLite file in a directory that does not exist.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A loopback port that was free a moment ago: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_with(database_url: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ORDERDESK_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="orderdesk.settings",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="WARNING",
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.outage_probe"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            lambda: f"postgres://postgres@127.0.0.1:{closed_port()}/gone", id="pg-closed-port"
        ),
        pytest.param(
            lambda: "sqlite:////nonexistent-orderdesk-dir/gone.sqlite3", id="sqlite-missing-file"
        ),
    ],
)
def test_an_unreachable_database_answers_503_database_unavailable(database_url):
    answers, log = answers_with(database_url())

    for name in ("api_token", "api_session"):
        api = answers[name]
        assert api["status"] == 503, (name, api)
        assert api["headers"]["retry-after"] == "30"
        assert api["headers"]["content-type"] == "application/json"
        body = json.loads(api["body"])
        assert body["code"] == "database_unavailable"
        assert body["fields"] == {}
        assert "password" not in api["body"].lower()
    page = answers["page"]
    assert page["status"] == 503, page
    assert page["headers"]["retry-after"] == "30"
    assert page["headers"]["content-type"].startswith("text/html")
    assert "database_unavailable" in page["body"]
    assert "Traceback" not in page["body"]
    assert log.count("database unavailable, answered 503") == 3
    assert "GET /orders/" in log
