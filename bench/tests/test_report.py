"""The bench's verdicts from recorded figures (no database): lost updates, external calls,
the order rate after the data grew, raw SQL statements beside the services'."""

from __future__ import annotations

from bench.report import LOST_UPDATE_KEYS, render, targets


def _run(path: str, clients: int, rate: float, **checks) -> dict:
    base = dict.fromkeys(LOST_UPDATE_KEYS, 0) | {"chain_broken": None}
    return {"db": "postgresql", "path": path, "clients": clients, "rate": rate, "ops": 10,
            "p50_ms": 1.0, "p99_ms": 2.0, "errors": {}, "retries": {}, "deadlocks": 0,
            "checks": base | checks}  # fmt: skip


def _rows(results: dict) -> dict:
    return {r.figure: r for r in targets(results)}


def _pg(**extra) -> dict:
    runs = [_run(p, n, r) for p, n, r in (("raw", 2, 100), ("raw", 8, 120),
                                          ("services", 2, 20), ("services", 8, 18))]  # fmt: skip
    raw = {"lines": 5, "total": 28, "data": 22, "transaction_control": 6,
           "transactions": {"create": 7, "confirm": 9, "release": 6}}  # fmt: skip
    return {"throughput": {"runs": runs, "raw_statements": {"5": raw}}, **extra}


def test_a_drifted_shared_counter_is_a_lost_update():
    ok = _rows({"postgresql": _pg()})
    figure = "PG: lost updates (numbers, statuses, order rows, shared counters, chains)"
    assert ok[figure].status == "pass"
    bad = _pg()
    bad["throughput"]["runs"][3]["checks"]["reserved_drift"] = 1
    row = _rows({"postgresql": bad})[figure]
    assert (row.status, row.measured) == ("miss", "1")
    assert "reserved_drift 1" in row.note


def test_raw_statements_are_shown_beside_the_services_as_context():
    row = _rows({"postgresql": _pg()})["PG: raw SQL statements per order, 5 lines"]
    assert (row.measured, row.status) == ("28", "info")
    assert "create 7 + confirm 9 + release 6" in row.note


def test_external_calls_inside_a_transaction_miss():
    call = {"address": "127.0.0.1:1", "in_transaction": False, "where": "x"}
    clean = {"calls": 5, "misses": [], "seconds": 1.0}
    row = _rows({"postgresql": _pg(external=clean)})["No external call inside a transaction"]
    assert (row.measured, row.status) == ("0 of 5 calls", "pass")
    inside = call | {"in_transaction": True, "where": "payments/services/links.py:1 f"}
    dirty = {"calls": 5, "misses": [inside], "seconds": 1.0}
    row = _rows({"postgresql": _pg(external=dirty)})["No external call inside a transaction"]
    assert (row.measured, row.status) == ("1 of 5 calls", "miss")
    assert "links.py" in row.note
    assert _rows({})["No external call inside a transaction"].status == "n/a"


def test_the_rate_after_growing_is_held_to_ninety_percent():
    grown = {"lines_before": 1_100_000, "lines_after": 10_100_000}
    pg = _pg(grown=grown)
    pg["throughput_grown"] = {
        "runs": [_run("raw", 8, 110), _run("services", 2, 19), _run("services", 8, 17)]
    }
    rows = _rows({"postgresql": pg})
    row = rows["Order rate at 10M lines / at 1M lines, 8 clients"]
    assert (row.measured, row.status) == ("94.4%", "pass")
    pg["throughput_grown"]["runs"][2]["rate"] = 15
    assert _rows({"postgresql": pg})["Order rate at 10M lines / at 1M lines, 8 clients"].status == (
        "miss"
    )
    # a small growth is measured the same way but says it is not the design point
    small = _pg(grown={"lines_before": 1_700, "lines_after": 3_400})
    small["throughput_grown"] = {"runs": [_run("services", 8, 18)]}
    row = _rows({"postgresql": small})[
        "PG: services rate at 3,400 lines / at 1,700 lines, 8 clients"
    ]
    assert row.status == "pass" and "not the design point" in row.note
    assert "postgresql, grown" in render({"postgresql": small})
