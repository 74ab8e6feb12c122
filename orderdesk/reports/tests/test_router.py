"""The replica router: report reads go to the replica inside `replica_reads()` when one is
configured; saved variants, writes and migrations stay on the primary; without a replica
nothing changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from orderdesk.orders.models import Order
from orderdesk.reports import routers
from orderdesk.reports.models import DailySalesSummary, SavedReport, SummaryWatermark


@pytest.fixture
def router():
    return routers.ReportsReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(routers, "replica_configured", lambda: True)


def test_without_a_replica_everything_reads_the_primary(router, monkeypatch):
    monkeypatch.setattr(routers, "replica_configured", lambda: False)
    with routers.replica_reads():
        assert routers.report_database() == "default"
        assert router.db_for_read(Order) == "default"


def test_report_reads_go_to_the_replica_only_inside_replica_reads(router, with_replica):
    assert router.db_for_read(Order) == "default"
    with routers.replica_reads():
        assert router.db_for_read(Order) == "replica"
        assert router.db_for_read(DailySalesSummary) == "replica"
        assert routers.report_database() == "replica"
        # read-your-own-writes: saved variants and the watermark stay on the primary
        assert router.db_for_read(SavedReport) == "default"
        assert router.db_for_read(SummaryWatermark) == "default"
        assert router.db_for_write(Order) == "default"
    assert routers.report_database() == "default"


def test_nothing_is_migrated_on_the_replica(router):
    assert router.allow_migrate("replica", "orders") is False
    assert router.allow_migrate("default", "orders") is True


def _settings_with(env: dict[str, str]) -> dict:
    code = (
        "import json; from orderdesk import settings as s; "
        "print(json.dumps({'dbs': sorted(s.DATABASES), "
        "'routers': getattr(s, 'DATABASE_ROUTERS', []), "
        "'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')}))"
    )
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_settings_add_the_replica_only_when_its_url_is_set():
    assert _settings_with({}) == {"dbs": ["default"], "routers": [], "mirror": None}
    replica = _settings_with({"DATABASE_REPLICA_URL": "postgres://u@127.0.0.1:5433/od"})
    assert replica == {
        "dbs": ["default", "replica"],
        "routers": ["orderdesk.reports.routers.ReportsReplicaRouter"],
        "mirror": "default",  # tests read the primary's test database through it
    }
