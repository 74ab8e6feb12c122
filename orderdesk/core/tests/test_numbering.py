"""Number series: per (series, year), gap-free, taken inside the transaction that uses it."""

import threading

import pytest
from django.db import connection, transaction

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.models import NumberSeries
from orderdesk.core.services import number_next


def test_numbers_run_from_one_per_series_and_year(db):
    taken = [number_next(key="orders.order", year=2026) for _ in range(3)]
    assert taken == [1, 2, 3]
    assert number_next(key="orders.order", year=2027) == 1
    assert number_next(key="billing.invoice", year=2026) == 1
    assert number_next(key="orders.order", year=2026) == 4
    assert NumberSeries.objects.get(key="orders.order", year=2026).last_value == 4


def test_a_rolled_back_transaction_gives_its_number_back(db):
    assert number_next(key="orders.order", year=2026) == 1

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        assert number_next(key="orders.order", year=2026) == 2
        raise Refused

    # no gap: the next taker gets 2 again
    assert number_next(key="orders.order", year=2026) == 2


def test_number_next_refuses_to_run_outside_a_transaction():
    # no database fixture: the connection is in autocommit, and the check comes before any query
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(RuntimeError, match="must run inside the transaction"):
        number_next(key="orders.order", year=2026)


@pytest.mark.postgres
def test_twenty_concurrent_takers_get_twenty_contiguous_numbers(committed_db, on_postgres):
    barrier = threading.Barrier(20, timeout=10)
    taken: list[int] = []
    errors: list[BaseException] = []

    @atomic_with_retry
    def take() -> int:
        return number_next(key="race", year=2026)

    def worker() -> None:
        try:
            barrier.wait()
            taken.append(take())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert sorted(taken) == list(range(1, 21))
    assert NumberSeries.objects.get(key="race", year=2026).last_value == 20
