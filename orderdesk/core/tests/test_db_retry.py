"""atomic_with_retry: a transaction that lost a race starts again, a bounded number of times.

Retrying only happens in the outermost transaction, so these tests run with real commits
(`committed_db`, a `transactional_db` that keeps the seeded rows) instead of inside the
per-test transaction.
"""

import threading

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from orderdesk.core.db import atomic_with_retry, is_retryable
from orderdesk.core.errors import Busy
from orderdesk.core.models import NumberSeries


def locked() -> OperationalError:
    return OperationalError("database is locked")


def pg_error(exc_class) -> OperationalError:
    """How Django hands over a psycopg error: wrapped, the original as __cause__."""
    error = OperationalError(str(exc_class.__name__))
    error.__cause__ = exc_class("lost a race")
    return error


def test_is_retryable_knows_serialization_failures_deadlocks_and_a_locked_sqlite():
    assert is_retryable(pg_error(psycopg.errors.SerializationFailure))
    assert is_retryable(pg_error(psycopg.errors.DeadlockDetected))
    assert is_retryable(locked())
    assert not is_retryable(pg_error(psycopg.errors.QueryCanceled))
    assert not is_retryable(OperationalError("no such table: nowhere"))
    assert not is_retryable(IntegrityError("duplicate key"))


def test_a_locked_database_is_retried_and_the_failed_attempt_leaves_nothing(committed_db):
    calls = []

    @atomic_with_retry
    def take():
        calls.append(1)
        # unique (key, year): if the failed attempt's row survived, the retry would collide
        NumberSeries.objects.create(key="retry", year=2026, last_value=len(calls))
        if len(calls) < 3:
            raise locked()
        return "done"

    assert take() == "done"
    assert len(calls) == 3
    assert list(NumberSeries.objects.filter(key="retry").values_list("last_value", flat=True)) == [
        3
    ]


def test_busy_retry_after_the_bounded_retries_and_no_retry_for_other_errors(committed_db, settings):
    settings.ORDERDESK = {**settings.ORDERDESK, "DB_RETRIES": 2}
    calls = []

    @atomic_with_retry
    def lose_every_race():
        calls.append(1)
        NumberSeries.objects.create(key="busy", year=2026)
        raise pg_error(psycopg.errors.SerializationFailure)

    with pytest.raises(Busy) as refused:
        lose_every_race()
    assert refused.value.code == "busy_retry"
    assert refused.value.status == 503
    assert len(calls) == 3  # the first attempt and two retries
    assert not NumberSeries.objects.filter(key="busy").exists()

    calls.clear()

    @atomic_with_retry
    def fail():
        calls.append(1)
        raise OperationalError("no such table: nowhere")

    with pytest.raises(OperationalError, match="no such table"):
        fail()
    assert len(calls) == 1


def test_inside_another_transaction_the_error_goes_to_the_outer_retry(db):
    calls = []

    @atomic_with_retry
    def inner():
        calls.append(1)
        raise locked()

    with pytest.raises(OperationalError, match="database is locked"), transaction.atomic():
        inner()
    assert len(calls) == 1


@pytest.mark.postgres
def test_a_real_deadlock_is_retried_and_both_transactions_commit(committed_db, on_postgres):
    # given two counter rows and two writers that lock them in opposite order
    NumberSeries.objects.bulk_create(
        [NumberSeries(key="a", year=2026), NumberSeries(key="b", year=2026)]
    )
    barrier = threading.Barrier(2, timeout=10)
    attempts: dict[str, int] = {"ab": 0, "ba": 0}
    errors: list[BaseException] = []

    def writer(first: str, second: str) -> None:
        name = first + second

        @atomic_with_retry
        def work():
            attempts[name] += 1
            NumberSeries.objects.select_for_update().get(key=first).save()
            if attempts[name] == 1:
                barrier.wait()  # both hold their first row: the second lock deadlocks
            row = NumberSeries.objects.select_for_update().get(key=second)
            row.last_value += 1
            row.save()

        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=("a", "b")),
        threading.Thread(target=writer, args=("b", "a")),
    ]
    # when they run at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    # then PostgreSQL aborted one of them (40P01), it ran again, and both took effect
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]
    assert dict(NumberSeries.objects.values_list("key", "last_value")) == {"a": 1, "b": 1}
