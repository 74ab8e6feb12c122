"""A stream's head is read once per transaction: a head this transaction wrote is used again
without a read, and never after the write was rolled back (the transaction or a savepoint).
Whatever head a write starts from, the guarded upsert keeps the chain exact."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orderdesk.audit.models import Event, StreamHead
from orderdesk.audit.selectors import verify_chain, verify_heads
from orderdesk.audit.services import known_head, prime_head, record, stream_of
from orderdesk.core.models import NumberSeries


def audit_statements(ctx) -> list[str]:
    """The statements on the history's tables, by kind: read / head / events (on PostgreSQL
    one statement moves the head and inserts the events: both kinds)."""
    kinds = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if "audit_streamhead" in sql or "audit_event" in sql:
            if sql.startswith("SELECT"):
                kinds.append("read")
            elif sql.startswith("WITH moved AS"):  # PostgreSQL: the head and the events at once
                kinds += ["head", "events"]
            elif "audit_streamhead" in sql:
                kinds.append("head")
            else:
                kinds.append("events")
    return kinds


def write(subject, action="test.changed") -> tuple[Event, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        event = record(action=action, obj=subject)
    return event, audit_statements(ctx)


def assert_chain_intact(subject) -> None:
    events = list(Event.objects.filter(stream=stream_of(subject)).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert verify_chain([stream_of(subject)])[1] is None
    assert verify_heads([stream_of(subject)]) is None
    head = StreamHead.objects.get(stream=stream_of(subject))
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_a_second_write_in_the_same_transaction_reads_no_head(subject):
    with transaction.atomic():  # an earlier transaction (a savepoint in this test's)
        write(subject, "test.created")
    with transaction.atomic():
        _e, first = write(subject)
        with transaction.atomic():  # a savepoint inside, as a hook's would be
            second, again = write(subject)
    assert first == ["read", "head", "events"]
    assert again == ["head", "events"]
    assert second.seq == 3
    assert_chain_intact(subject)


def test_the_next_transaction_reads_the_head_again(subject):
    with transaction.atomic():
        write(subject, "test.created")
    with transaction.atomic():
        _e, statements = write(subject)
    assert statements == ["read", "head", "events"]


def test_a_head_written_in_a_rolled_back_savepoint_is_not_used(subject):
    with transaction.atomic():
        first, _ = write(subject, "test.created")
        with pytest.raises(RuntimeError), transaction.atomic():
            gone, _ = write(subject)
            assert known_head(stream_of(subject)) == (2, gone.hash)
            raise RuntimeError("undo")
        assert known_head(stream_of(subject)) is None
        event, statements = write(subject)
    assert statements == ["read", "head", "events"]
    assert (event.seq, event.prev_hash) == (2, first.hash)
    assert_chain_intact(subject)


def test_any_savepoint_rollback_drops_the_heads_learned_before_it(subject):
    with transaction.atomic():
        write(subject, "test.created")
        with pytest.raises(RuntimeError), transaction.atomic():
            raise RuntimeError("an unrelated savepoint rolls back")
        _e, statements = write(subject)
    assert statements == ["read", "head", "events"]
    assert_chain_intact(subject)


def test_a_head_written_in_a_released_savepoint_is_read_again(subject):
    with transaction.atomic():
        with transaction.atomic():
            write(subject, "test.created")
        _e, statements = write(subject)
    assert statements == ["read", "head", "events"]


def test_a_stale_hint_costs_a_read_but_never_forks_the_chain(subject):
    with transaction.atomic():
        first, _ = write(subject, "test.created")
        write(subject)
        prime_head(stream_of(subject), first.seq, first.hash)  # one event behind
        with CaptureQueriesContext(connection) as ctx:
            event = record(action="test.after_hint", obj=subject)
    # the upsert refused the stale start, the head was read and the events rebuilt on it (on
    # PostgreSQL the refused upsert carried the events' insert, which then inserted nothing)
    refused = ["head", "events"] if connection.vendor == "postgresql" else ["head"]
    assert audit_statements(ctx) == [*refused, "read", "head", "events"]
    assert event.seq == 3
    assert_chain_intact(subject)


def test_a_new_stream_that_is_not_new_continues_its_chain(subject):
    from orderdesk.audit.services import Entry, record_many

    write(subject, "test.created")
    [event] = record_many(
        stream=stream_of(subject), entries=[Entry("test.again", subject)], new_stream=True
    )
    assert event.seq == 2
    assert_chain_intact(subject)


@pytest.mark.postgres
def test_the_head_is_dropped_when_the_transaction_rolls_back(committed_db, on_postgres):
    subject = NumberSeries.objects.create(key="audit-rollback", year=2026)
    record(action="test.created", obj=subject)
    assert known_head(stream_of(subject)) is None  # autocommit: nothing to remember
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action="test.gone", obj=subject)
        raise RuntimeError("undo")
    with transaction.atomic():
        assert known_head(stream_of(subject)) is None
        event, statements = write(subject)
    assert statements == ["read", "head", "events"]
    assert event.seq == 2
    assert_chain_intact(subject)


@pytest.mark.postgres
def test_writers_that_hold_no_root_lock_wait_on_the_head_and_continue_the_chain(
    committed_db, on_postgres
):
    """A writer starting from a head that another transaction moves meanwhile waits on the
    head's row, finds it moved, reads it again and continues the chain."""
    from django.db import connections

    subject = NumberSeries.objects.create(key="audit-race", year=2026)
    first = record(action="test.created", obj=subject)
    stream = stream_of(subject)
    moved, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def holder():
        try:
            with transaction.atomic():
                record(action="test.holder", obj=subject)
                moved.set()
                go.wait(10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def late():
        try:
            moved.wait(10)
            with transaction.atomic():
                prime_head(stream, first.seq, first.hash)  # what it saw before `holder` moved
                record(action="test.late", obj=subject)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=holder), threading.Thread(target=late)]
    for t in threads:
        t.start()
    moved.wait(10)
    threading.Timer(0.3, go.set).start()  # `late` is blocked on the head's row meanwhile
    for t in threads:
        t.join(20)
    assert not errors
    actions = list(Event.objects.filter(stream=stream).order_by("seq").values_list("action"))
    assert actions == [("test.created",), ("test.holder",), ("test.late",)]
    assert_chain_intact(subject)
