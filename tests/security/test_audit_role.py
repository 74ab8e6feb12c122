"""On PostgreSQL, history cannot be rewritten by the application's database role.

The trigger's refusal of UPDATE/DELETE is tested in orderdesk/audit/tests/test_chain.py; here:
the role set up exactly as docs/security.md says can do the application's work and append
history, but cannot UPDATE, DELETE or TRUNCATE history nor switch the trigger off, even when
the owner has switched it off; and `verify_audit` watches the trigger and the role.
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from orderdesk.audit.models import Event
from orderdesk.audit.services import record
from orderdesk.core.models import NumberSeries
from orderdesk.orders.services import LineInput, order_confirm, order_create

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

pytestmark = pytest.mark.postgres


def sql(statement: str, params: list | None = None) -> list:
    with connection.cursor() as cur:
        cur.execute(statement, params or [])
        return cur.fetchall() if cur.description else []


def documented_grants(role: str) -> list[str]:
    """The statements of docs/security.md's grants block, for `role` on this database."""
    text = DOC.read_text()
    block = re.search(r"<!-- grants:.*?-->\s*```sql\n(.*?)```", text, re.S)
    assert block, "docs/security.md lost its grants block"
    owner, database = sql("SELECT current_user, current_database()")[0]
    body = "\n".join(line for line in block[1].splitlines() if not line.strip().startswith("--"))
    body = (
        body.replace("orderdesk_app", role)
        .replace("orderdesk_owner", f'"{owner}"')
        .replace("DATABASE orderdesk", f'DATABASE "{database}"')
    )
    return [s.strip() for s in body.split(";") if s.strip()]


@pytest.fixture
def app_role(db, on_postgres):
    """A role granted as the doc says (created in the test's transaction, gone after it)."""
    role = f"od_app_{uuid.uuid4().hex[:10]}"
    # DDL below must not meet the test's deferred foreign-key checks
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    for statement in documented_grants(role):
        sql(statement)
    return role


@contextmanager
def acting_as(role: str):
    sql(f'SET ROLE "{role}"')
    try:
        yield
    finally:
        sql("RESET ROLE")


def refused(statement: str, role: str, match: str) -> None:
    try:
        with pytest.raises(DatabaseError, match=match), transaction.atomic():
            # the failed savepoint's rollback also undoes the SET ROLE
            sql(f'SET ROLE "{role}"')
            sql(statement)
    finally:
        sql("RESET ROLE")


@pytest.fixture(autouse=True)
def main_warehouse(warehouse):
    return warehouse


def test_the_application_role_works_and_appends_history(
    app_role, manager, customer, contract, product
):
    with acting_as(app_role):
        order = order_create(
            by=manager, customer=customer, lines=[LineInput(product=product.pk, quantity="2")]
        )
        order_confirm(by=manager, order=order)
        event = record(action="test.noted", obj=NumberSeries.objects.get(key="orders.order"))
    assert Event.objects.filter(pk=event.pk).exists()
    assert Event.objects.filter(object_id=str(order.pk), action="orders.order.confirmed").exists()


def test_the_application_role_cannot_change_history_even_without_the_trigger(
    app_role, manager, customer, contract, product
):
    order_create(by=manager, customer=customer, lines=[LineInput(product=product.pk, quantity="1")])
    before = list(Event.objects.order_by("pk").values_list("pk", "hash"))
    # the owner switches the trigger off: the role's rights must hold on their own
    sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    try:
        refused("UPDATE audit_event SET action = 'forged'", app_role, "permission denied")
        refused("DELETE FROM audit_event", app_role, "permission denied")
        refused("TRUNCATE audit_event", app_role, "permission denied")
        refused(
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
            app_role,
            "must be owner",
        )
    finally:
        sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    assert list(Event.objects.order_by("pk").values_list("pk", "hash")) == before


def verify_audit(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_verify_audit_says_the_trigger_is_on_and_the_owner_could_rewrite_history(db, on_postgres):
    output = verify_audit()
    assert "ok: append-only trigger on audit_event is on" in output
    # the tests run as the owner, which holds every right
    assert "note: the database role may UPDATE, DELETE, TRUNCATE audit_event" in output
    with pytest.raises(CommandError, match="may UPDATE, DELETE, TRUNCATE audit_event"):
        verify_audit("--require-restricted-role")


def test_verify_audit_passes_the_restricted_role(app_role):
    with acting_as(app_role):
        output = verify_audit("--require-restricted-role")
    assert "ok: the database role cannot UPDATE, DELETE or TRUNCATE history" in output


def test_verify_audit_fails_when_the_trigger_is_off(db, on_postgres):
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    try:
        with pytest.raises(CommandError, match="append-only trigger on audit_event is disabled"):
            verify_audit()
    finally:
        sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
