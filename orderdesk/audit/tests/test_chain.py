"""History: append-only events, hash-chained per stream, with a command that finds tampering."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from orderdesk.audit.models import Event
from orderdesk.audit.selectors import timeline, verify_chain
from orderdesk.audit.services import (
    GENESIS,
    Entry,
    diff,
    jsonable,
    record,
    record_many,
    snapshot,
    stream_of,
)
from orderdesk.core.models import NumberSeries


def three_events(subject, clerk) -> list[Event]:
    record(action="test.created", obj=subject, by=clerk, changes={"last_value": {"to": 0}})
    record(action="test.changed", obj=subject, by=clerk, changes={"last_value": {"to": 1}})
    record(action="test.changed", obj=subject, by=None, data={"why": "nightly job"})
    return list(timeline(stream_of(subject)))


def raw_update(sql: str, params: list) -> None:
    """Change history behind the application's back, as the table's owner could.

    On PostgreSQL the append-only trigger refuses it first; the owner can disable it.
    """
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, params)
        with connection.cursor() as cur:
            # the deferred foreign-key checks of this test's inserts must run before ALTER TABLE
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        try:
            with connection.cursor() as cur:
                cur.execute(sql, params)
        finally:
            with connection.cursor() as cur:
                cur.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        with connection.cursor() as cur:
            cur.execute(sql, params)


def test_events_of_a_stream_are_numbered_and_chained(subject, clerk):
    events = three_events(subject, clerk)

    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert len({e.hash for e in events}) == 3
    assert events[0].stream == f"core.numberseries:{subject.pk}"
    assert events[0].actor == clerk
    assert events[0].actor_name == "Олена Коваль"
    assert (events[2].actor, events[2].actor_name) == (None, "system")
    assert verify_chain() == (3, None)


def test_streams_are_chained_independently(subject, clerk):
    other = NumberSeries.objects.create(key="audit-other", year=2026)
    record(action="test.created", obj=subject, by=clerk)
    record(action="test.created", obj=other, by=clerk)
    record(action="test.changed", obj=subject, by=clerk)

    assert list(timeline(stream_of(other)).values_list("seq", "prev_hash")) == [(1, GENESIS)]
    assert list(timeline(stream_of(subject)).values_list("seq", flat=True)) == [1, 2]
    assert verify_chain([stream_of(other)]) == (1, None)


def test_record_many_appends_in_order_to_an_existing_stream(subject, clerk):
    record(action="test.created", obj=subject, by=clerk)
    record_many(
        stream=stream_of(subject),
        entries=[Entry("test.one", subject), Entry("test.two", subject, data={"n": 2})],
        by=clerk,
    )
    assert list(timeline(stream_of(subject)).values_list("seq", "action")) == [
        (1, "test.created"),
        (2, "test.one"),
        (3, "test.two"),
    ]
    assert record_many(stream=stream_of(subject), entries=[], by=clerk) == []
    assert verify_chain() == (3, None)


def test_events_refuse_to_be_changed_or_deleted_through_the_model(subject, clerk):
    event = record(action="test.created", obj=subject, by=clerk)
    event.action = "test.forged"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()
    assert Event.objects.get(pk=event.pk).action == "test.created"


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_history_even_in_bulk(subject, clerk, on_postgres):
    record(action="test.created", obj=subject, by=clerk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.update(action="test.forged")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM audit_event")
    assert list(Event.objects.values_list("action", flat=True)) == ["test.created"]


def test_jsonable_and_snapshot_store_exact_readable_values(subject):
    assert jsonable(Decimal("1.50")) == "1.5"
    assert jsonable(Decimal("1E+2")) == "100"
    assert jsonable(dt.date(2026, 3, 1)) == "2026-03-01"
    assert jsonable({"a": [Decimal("2.000"), None, True]}) == {"a": ["2", None, True]}
    assert jsonable(subject) == str(subject)
    assert snapshot(subject, ["key", "year"]) == {"key": "audit-test", "year": 2026}


def test_diff_names_each_changed_field_with_before_and_after():
    before = {"quantity": "5", "price": "100", "comment": ""}
    after = {"quantity": "7", "price": "100", "comment": "urgent"}
    assert diff(before, after) == {
        "quantity": {"from": "5", "to": "7"},
        "comment": {"from": "", "to": "urgent"},
    }
    assert diff({}, {"quantity": "5"}) == {"quantity": {"from": None, "to": "5"}}


def test_diff_of_a_removal_keeps_what_was_removed():
    # a removed line's event must still say what the line was
    assert diff({"quantity": "5", "price": "100"}, {}) == {
        "quantity": {"from": "5", "to": None},
        "price": {"from": "100", "to": None},
    }


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE audit_event SET action = 'test.forged' WHERE id = %s", "content changed"),
        ("UPDATE audit_event SET actor_name = 'Хтось інший' WHERE id = %s", "content changed"),
        (
            "UPDATE audit_event SET object_repr = 'інший документ' WHERE id = %s",
            "content changed",
        ),
        ("UPDATE audit_event SET prev_hash = hash WHERE id = %s", "previous hash differs"),
        ("DELETE FROM audit_event WHERE id = %s", "sequence gap"),
    ],
    ids=["action", "who", "what", "relinked", "deleted"],
)
def test_verify_chain_finds_a_tampered_event(subject, clerk, sql, reason):
    events = three_events(subject, clerk)
    middle = events[1]

    raw_update(sql, [middle.pk])

    checked, broken = verify_chain()
    assert broken is not None
    assert broken.stream == stream_of(subject)
    assert broken.reason == reason
    # a deleted event shows as the gap at the next one
    assert broken.seq == (3 if reason == "sequence gap" else 2)
    assert checked == 2


def test_verify_audit_command_reports_intact_chains(subject, clerk, capsys):
    three_events(subject, clerk)
    record(action="test.created", obj=NumberSeries.objects.create(key="x", year=2026), by=clerk)

    call_command("verify_audit")
    assert "ok: 4 events" in capsys.readouterr().out

    call_command("verify_audit", "--stream", stream_of(subject))
    assert "ok: 3 events" in capsys.readouterr().out


def test_verify_audit_command_fails_on_a_row_tampered_with_raw_sql(subject, clerk):
    # given a clean history
    events = three_events(subject, clerk)
    call_command("verify_audit")

    # when the owner of the table rewrites what an event says
    raw_update(
        "UPDATE audit_event SET changes = %s WHERE id = %s",
        ['{"last_value": {"to": 1000}}', events[1].pk],
    )

    # then the command exits non-zero, naming the stream and the first broken link
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")
    message = str(failed.value)
    assert f"broken link in {stream_of(subject)} at seq 2" in message
    assert f"(event {events[1].pk})" in message
    assert "content changed" in message
    if connection.vendor == "postgresql":
        # and the append-only trigger is back on after the tamper
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.update(action="test.forged")
