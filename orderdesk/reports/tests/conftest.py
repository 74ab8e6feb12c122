"""Report test set-up: users of every role, and generated data (orders, invoices, the ledger).

`generated` fills the test database with the bench generator (orders of every state, lines,
history) and `bench.reports.generate_ledger` (invoices, ledger items, allocations — some
undone, some overpaid — and partial line cancellations), at a tiny scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import connection

from bench.generate import generate
from bench.reports import generate_ledger
from bench.scales import Scale
from orderdesk.customers.models import Customer, SalesTeam
from orderdesk.testing.factories import UserFactory

TINY = Scale.for_orders(240, name="reports-test")


@dataclass
class Generated:
    first_order_id: int
    managers: list[User]
    head: User
    team: SalesTeam


@pytest.fixture
def generated(db) -> Generated:
    result = generate(TINY, seed=20260907)
    generate_ledger(first_order_id=result["first_order_id"], seed=20260907)
    managers = list(
        User.objects.filter(pk__in=Customer.objects.values("manager_id")).order_by("pk")
    )
    head = UserFactory(username="report.head", roles=["sales_head"])
    team = SalesTeam.objects.create(name="Reports team", head=head)
    team.members.set(managers[:2])
    return Generated(result["first_order_id"], managers, head, team)


@pytest.fixture
def controller(db):
    return UserFactory(username="controller", roles=["credit_controller"])


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", roles=["accountant"])


@pytest.fixture
def storekeeper(db):
    return UserFactory(username="storekeeper", roles=["warehouse"])


def sql(query: str, params: dict | None = None) -> list[tuple]:
    """Run hand-written SQL (named %(x)s parameters) on the test database."""
    with connection.cursor() as cur:
        cur.execute(query, params or {})
        return cur.fetchall()
