"""Races on PostgreSQL with real threads: order numbers, and edits of the same draft.

Each thread has its own database connection and closes it when done; the data the threads
share is committed first (`committed_db`: `transactional_db` that puts back the seeded rows
after the flush that follows).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection

from orderdesk.audit.models import Event
from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import LineInput, order_create, order_line_add, order_line_update
from orderdesk.testing.factories import PriceListItemFactory, ProductFactory

pytestmark = pytest.mark.postgres

D = Decimal


def run_at_once(jobs: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    """Start every job in its own thread at the same moment; collect results and errors."""
    barrier = threading.Barrier(len(jobs), timeout=20)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results, errors


def test_twenty_orders_created_at_once_get_twenty_contiguous_numbers(
    committed_db, on_postgres, manager, customer, contract, product
):
    def create():
        # a user object per thread: roles and rights are cached on it
        by = User.objects.get(pk=manager.pk)
        return order_create(by=by, customer=customer.pk, lines=[LineInput(product.pk, "2")])

    orders, errors = run_at_once([create] * 20)

    assert errors == []
    numbers = [o.number for o in orders]
    assert len(set(numbers)) == 20
    prefix = numbers[0].rsplit("-", 1)[0]
    assert sorted(numbers) == [f"{prefix}-{n:06d}" for n in range(1, 21)]
    assert Order.objects.count() == 20
    assert OrderLine.objects.count() == 20
    assert set(Order.objects.values_list("gross_amount", flat=True)) == {D("240.00")}
    assert verify_chain() == (40, None)  # created + line added, per order


def test_concurrent_line_edits_of_one_draft_keep_totals_equal_to_the_lines(
    committed_db,
    on_postgres,
    manager,
    customer,
    contract,
    price_list,
    warehouse,
):
    products = [ProductFactory(sku=f"P{i}") for i in range(10)]
    for i, p in enumerate(products):
        PriceListItemFactory(price_list=price_list, product=p, price=D("10.01") * (i + 1))
    draft = order_create(
        by=manager,
        customer=customer,
        lines=[LineInput(p.pk, "1") for p in products[:5]],
    )
    line_ids = list(draft.lines.order_by("position").values_list("pk", flat=True))

    def change(line_id, quantity):
        def job():
            by = User.objects.get(pk=manager.pk)
            return order_line_update(by=by, order=draft.pk, line_id=line_id, quantity=quantity)

        return job

    def add(product):
        def job():
            by = User.objects.get(pk=manager.pk)
            return order_line_add(by=by, order=draft.pk, line=LineInput(product.pk, "3"))

        return job

    jobs = [change(pk, str(q)) for pk, q in zip(line_ids, (7, 11, 13, 17, 19), strict=True)]
    jobs += [change(line_ids[0], "23"), change(line_ids[0], "29")]  # the same line, thrice
    jobs += [add(p) for p in products[5:]]

    _results, errors = run_at_once(jobs)

    assert errors == []
    draft.refresh_from_db()
    lines = list(draft.lines.order_by("position"))
    assert len(lines) == 10
    assert [li.position for li in lines] == list(range(1, 11))
    assert lines[0].quantity in {D("7"), D("23"), D("29")}
    assert [li.quantity for li in lines[1:5]] == [D("11"), D("13"), D("17"), D("19")]
    for li in lines:
        assert li.net_amount == (li.quantity * li.unit_price).quantize(D("0.01"))
    assert draft.net_amount == sum(li.net_amount for li in lines)
    assert draft.vat_amount == sum(li.vat_amount for li in lines)
    assert draft.gross_amount == sum(li.gross_amount for li in lines)
    assert draft.base_gross_amount == draft.gross_amount  # in UAH

    # every edit is in the history, in one unbroken chain
    events = Event.objects.filter(stream=stream_of(draft))
    assert list(events.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, events.count() + 1)
    )
    assert events.filter(action="orders.line.changed").count() == 7
    assert events.filter(action="orders.line.added").count() == 10
    assert verify_chain([stream_of(draft)])[1] is None
