"""Stream heads: the newest events of a stream (or all of them) cannot go missing unnoticed,
and on PostgreSQL the history refuses TRUNCATE and the heads only move forward."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from orderdesk.audit.models import Event, StreamHead
from orderdesk.audit.selectors import timeline, verify_chain, verify_heads
from orderdesk.audit.services import Entry, record, record_many, stream_of
from orderdesk.core.models import NumberSeries

from .test_chain import raw_update, three_events


def head_of(obj) -> tuple[int, str]:
    head = StreamHead.objects.get(stream=stream_of(obj))
    return head.seq, head.hash


def test_every_append_moves_the_head_to_the_last_event(subject, clerk):
    events = three_events(subject, clerk)
    assert head_of(subject) == (3, events[2].hash)

    record_many(
        stream=stream_of(subject),
        entries=[Entry("test.one", subject), Entry("test.two", subject)],
        by=clerk,
    )
    last = timeline(stream_of(subject)).last()
    assert (last.seq, head_of(subject)) == (5, (5, last.hash))
    assert verify_heads() is None


def test_a_new_stream_gets_its_head_in_the_same_insert(subject, clerk):
    other = NumberSeries.objects.create(key="audit-new", year=2026)
    [event] = record_many(
        stream=stream_of(other), entries=[Entry("test.created", other)], new_stream=True
    )
    assert head_of(other) == (1, event.hash)


def test_verify_audit_reports_a_stream_whose_newest_events_were_deleted(subject, clerk):
    # given a stream of three events
    events = three_events(subject, clerk)
    call_command("verify_audit")

    # when the newest two are deleted behind the application's back
    raw_update("DELETE FROM audit_event WHERE id IN (%s, %s)", [events[1].pk, events[2].pk])

    # then the chain that is left is intact, but it no longer reaches its head
    assert verify_chain() == (1, None)
    broken = verify_heads()
    assert (broken.stream, broken.seq, broken.event_id) == (stream_of(subject), 3, events[0].pk)
    assert broken.reason == "newest events missing: the chain ends at seq 1, its head at seq 3"
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")
    assert f"broken link in {stream_of(subject)} at seq 3 (event {events[0].pk})" in str(
        failed.value
    )
    assert "newest events missing" in str(failed.value)


def test_an_event_appended_after_a_cut_links_to_the_lost_end(subject, clerk):
    events = three_events(subject, clerk)
    raw_update("DELETE FROM audit_event WHERE id = %s", [events[2].pk])

    # the next write continues from the head, so the cut shows as a gap in the chain
    event = record(action="test.after", obj=subject, by=clerk)

    assert (event.seq, event.prev_hash) == (4, events[2].hash)
    _checked, broken = verify_chain()
    assert (broken.seq, broken.reason) == (4, "sequence gap")


def test_verify_audit_reports_a_stream_deleted_whole(subject, clerk):
    events = three_events(subject, clerk)
    keep = record(action="test.created", obj=NumberSeries.objects.create(key="k", year=2026))
    raw_update("DELETE FROM audit_event WHERE id IN (%s, %s, %s)", [e.pk for e in events])

    assert verify_chain() == (1, None)
    broken = verify_heads()
    assert (broken.stream, broken.event_id) == (stream_of(subject), None)
    assert broken.reason == "stream removed: no event left, its head is at seq 3"
    assert verify_heads([keep.stream]) is None


def test_verify_audit_reports_events_without_a_head(subject, clerk):
    # a writer that went around record_many() (a bulk loader) left the end unanchored
    three_events(subject, clerk)
    raw_head_sql("DELETE FROM audit_streamhead")

    broken = verify_heads()
    assert (broken.stream, broken.seq) == (stream_of(subject), 1)
    assert broken.reason == "no head: the end of the chain is not anchored"
    # and the next write still continues the chain from its last event
    assert record(action="test.more", obj=subject).seq == 4
    assert verify_heads() is None


def raw_head_sql(sql: str, params: list | None = None) -> None:
    """As raw_update(), for the heads' table and its forward-only trigger."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(
                "ALTER TABLE audit_streamhead DISABLE TRIGGER audit_streamhead_forward_only"
            )
        try:
            cur.execute(sql, params or [])
        finally:
            if connection.vendor == "postgresql":
                cur.execute(
                    "ALTER TABLE audit_streamhead ENABLE TRIGGER audit_streamhead_forward_only"
                )
                cur.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.postgres
def test_postgres_heads_only_move_forward(subject, clerk, on_postgres):
    three_events(subject, clerk)
    before = head_of(subject)
    for sql in (
        "UPDATE audit_streamhead SET seq = 1",
        "UPDATE audit_streamhead SET seq = seq",
        "UPDATE audit_streamhead SET stream = 'x', seq = seq + 1",
        "DELETE FROM audit_streamhead",
    ):
        with (
            pytest.raises(DatabaseError, match="only moves forward"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql)
    assert head_of(subject) == before


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_event", "audit_streamhead"])
def test_postgres_refuses_truncate_of_history(subject, clerk, on_postgres, table):
    three_events(subject, clerk)
    with connection.cursor() as cur:
        # TRUNCATE must not meet the test's deferred foreign-key checks
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match=f"{table} is append-only \\(TRUNCATE refused\\)"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(f"TRUNCATE {table}")
    assert Event.objects.count() == 3
    assert StreamHead.objects.count() == 1


@pytest.mark.postgres
def test_verify_audit_fails_when_the_truncate_trigger_is_off(db, on_postgres):
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate")
    try:
        with pytest.raises(CommandError, match="TRUNCATE trigger on audit_event is disabled"):
            call_command("verify_audit")
    finally:
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate")


@pytest.mark.postgres
def test_verify_audit_lists_every_trigger_it_checked(db, on_postgres, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    for line in (
        "ok: append-only trigger on audit_event is on",
        "ok: TRUNCATE trigger on audit_event is on",
        "ok: forward-only trigger on audit_streamhead is on",
        "ok: TRUNCATE trigger on audit_streamhead is on",
    ):
        assert line in out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_committed_test_is_flushed_past_the_truncate_triggers(keep_seed_data, subject, clerk):
    # the flush after this test empties audit_event with TRUNCATE (conftest.py switches the
    # triggers off for it); the next test starting with empty tables shows that it worked
    record(action="test.created", obj=subject, by=clerk)
    assert Event.objects.count() == 1


@pytest.mark.postgres
def test_history_is_empty_after_the_committed_test(db, on_postgres):
    assert not Event.objects.exists()
    assert not StreamHead.objects.exists()
