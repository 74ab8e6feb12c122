"""History inside a unit of work (core.db.unit_of_work): events are made when recorded and
written once at the end of the service's transaction, in the order they were recorded; what a
failed step recorded is gone with it; a plain savepoint writes at once."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orderdesk.audit.models import Event
from orderdesk.audit.services import Entry, record, record_many, stream_of
from orderdesk.core.db import atomic_with_retry, savepoint, unit_of_work

from .test_head_cache import assert_chain_intact, audit_statements


def actions(subject) -> list[str]:
    return list(
        Event.objects.filter(stream=stream_of(subject))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_three_steps_write_their_history_once_in_order(subject):
    seen_inside = []

    @atomic_with_retry
    def service():
        record(action="test.one", obj=subject)
        subject.last_value = 7  # the event keeps the object as it was when recorded
        record_many(
            stream=stream_of(subject),
            entries=[Entry("test.two", subject, {"v": 7}), Entry("test.three", subject)],
        )
        seen_inside.append(Event.objects.filter(stream=stream_of(subject)).count())

    with CaptureQueriesContext(connection) as ctx:
        service()

    assert seen_inside == [0]  # nothing written before the unit's end
    kinds = audit_statements(ctx)
    assert (kinds.count("head"), kinds.count("events")) == (1, 1)  # one head move, one insert
    assert actions(subject) == ["test.one", "test.two", "test.three"]
    two = Event.objects.get(stream=stream_of(subject), action="test.two")
    assert two.changes == {"v": 7}
    assert_chain_intact(subject)


def test_the_events_returned_get_their_place_at_the_flush(subject):
    kept = []

    @atomic_with_retry
    def service():
        kept.extend(record_many(stream=stream_of(subject), entries=[Entry("test.a", subject)]))
        assert kept[0].pk is None and not kept[0].hash

    service()
    assert kept[0].pk is not None and kept[0].seq == 1 and len(kept[0].hash) == 64


def test_a_failed_savepoint_step_takes_its_events_back(subject):
    @atomic_with_retry
    def service():
        record(action="test.before", obj=subject)
        try:
            with savepoint():
                record(action="test.failed", obj=subject)
                raise RuntimeError("the step fails")
        except RuntimeError:
            pass
        with savepoint():
            record(action="test.kept", obj=subject)
        record(action="test.after", obj=subject)

    service()
    assert actions(subject) == ["test.before", "test.kept", "test.after"]
    assert_chain_intact(subject)


def test_a_nested_service_that_fails_takes_its_events_back(subject):
    @atomic_with_retry
    def inner(fail: bool):
        record(action="test.inner", obj=subject)
        if fail:
            raise ValueError("refused")

    @atomic_with_retry
    def outer():
        record(action="test.outer", obj=subject)
        with pytest.raises(ValueError):
            inner(True)
        inner(False)

    outer()
    assert actions(subject) == ["test.outer", "test.inner"]
    assert_chain_intact(subject)


def test_a_plain_savepoint_writes_at_once_and_its_rollback_leaves_nothing(subject):
    @atomic_with_retry
    def service():
        record(action="test.deferred", obj=subject)
        try:
            with transaction.atomic():  # a savepoint the unit does not know
                record(action="test.rolled_back", obj=subject)
                assert Event.objects.filter(action="test.rolled_back").count() == 1  # at once
                raise RuntimeError
        except RuntimeError:
            pass
        with transaction.atomic():
            record(action="test.at_once", obj=subject)

    service()
    # the savepoint's event was written at once, so it went first on the chain
    assert actions(subject) == ["test.at_once", "test.deferred"]
    assert_chain_intact(subject)


def test_an_error_in_the_service_writes_nothing(subject):
    @atomic_with_retry
    def service():
        record(action="test.lost", obj=subject)
        raise LookupError

    with pytest.raises(LookupError):
        service()
    assert actions(subject) == []
    assert unit_of_work("audit", list) is None  # the unit is closed


def test_outside_a_unit_events_are_written_at_once(subject):
    with transaction.atomic():
        record(action="test.now", obj=subject)
        assert actions(subject) == ["test.now"]
    assert_chain_intact(subject)


@pytest.mark.django_db(transaction=True)
def test_two_streams_in_one_unit_commit_together(subject):
    from orderdesk.core.models import NumberSeries

    other = NumberSeries.objects.create(key="audit-test-2", year=2026)

    @atomic_with_retry
    def service():
        record(action="test.x", obj=subject)
        record(action="test.y", obj=other)
        record(action="test.z", obj=subject)

    with CaptureQueriesContext(connection) as ctx:
        service()
    # one insert for the unit; on PostgreSQL one statement per stream moves its head and
    # inserts its events
    per_stream = connection.vendor == "postgresql"
    assert audit_statements(ctx).count("events") == (2 if per_stream else 1)
    assert audit_statements(ctx).count("head") == 2
    assert actions(subject) == ["test.x", "test.z"] and actions(other) == ["test.y"]
    assert_chain_intact(subject)
    assert_chain_intact(other)
