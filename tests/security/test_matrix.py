"""Every route x every role and anonymous x own / a colleague's / another team's record, against
the declared table in matrix.py: zero unexpected allows (and zero unexpected refusals, so the
table stays true), zero server errors, and a failure for any route the table does not declare.
"""

from __future__ import annotations

import pytest
from django.test import Client

from .matrix import ROUTES, route_for, routes_for
from .routes import all_entries, observe
from .world import ROLES, hidden_markers

# Makes pytest-django set up the test database: the module's own world fixture does not ask
# for `db`, and without a test asking, the session would stay on the real database.
pytestmark = pytest.mark.django_db

ENTRIES = all_entries()
DECLARED = [e for e in ENTRIES if route_for(e.key) is not None]


@pytest.fixture(scope="module")
def clients(world) -> dict[str, Client]:
    out = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)  # a 500 is reported, not raised
        user = world.actor(role)
        if user is not None:
            client.force_login(user)
        out[role] = client
    return out


def test_every_route_is_declared():
    missing = [e for e in ENTRIES if route_for(e.key) is None]
    assert not missing, (
        "routes missing from tests/security/matrix.py (see its header for how to add one):\n"
        + "\n".join(f'    "{e.key}": Route(...),  # {e.name}, params {e.params}' for e in missing)
    )


def test_every_declared_route_exists():
    keys = {e.key for e in ENTRIES}
    gone = sorted(set(ROUTES) - keys)
    assert not gone, f"declared in matrix.py but no longer routed: {gone}"


def test_declared_params_are_the_routes_params():
    wrong = []
    for entry in DECLARED:
        for route in routes_for(entry.key):
            if set(route.params) != set(entry.params):
                wrong.append(
                    f"{entry.key}: declared {sorted(route.params)}, route has {sorted(entry.params)}"
                )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("entry", DECLARED, ids=[e.key or "/" for e in DECLARED])
def test_route_answers_as_declared(entry, world, clients):
    wrong, leaks = [], []
    hidden = {role: hidden_markers(world, role) for role in ROLES}
    seen_all = [s for route in routes_for(entry.key) for s in observe(entry, route, world, clients)]
    for seen in seen_all:
        if seen.wrong:
            wrong.append(seen)
        found = [f"{what} ({text})" for what, text in hidden[seen.role] if text in seen.body]
        if found:
            leaks.append(f"  {seen.role} {seen.url} shows {', '.join(found)}")
    allows = [s for s in wrong if s.verdict == "allow"]
    errors = [s for s in wrong if s.verdict == "error"]
    denies = [s for s in wrong if s.verdict == "deny"]
    report = []
    if errors:
        report += ["SERVER ERRORS:", *(s.line() for s in errors)]
    if allows:
        report += ["UNEXPECTED ALLOWS:", *(s.line() for s in allows)]
    if leaks:
        report += ["RECORDS SHOWN TO WHO MAY NOT SEE THEM:", *leaks]
    if denies:
        report += ["UNEXPECTED REFUSALS (fix the table or the view):", *(s.line() for s in denies)]
    assert not report, f"{entry.key}\n" + "\n".join(report)
