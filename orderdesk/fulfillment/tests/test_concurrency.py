"""On PostgreSQL with real threads: the balance row and the order row serialize writers."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from orderdesk.core.errors import DomainError
from orderdesk.fulfillment.models import FulfillmentSettings, Shipment
from orderdesk.fulfillment.services import order_reserve, shipment_create
from orderdesk.orders.models import OrderLine

from .conftest import balance, lines_of, make_order, receive

pytestmark = pytest.mark.postgres


def run_all(targets) -> list:
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def work(i, target):
        try:
            barrier.wait()
            results[i] = target()
        except Exception as exc:  # the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_reservations_of_one_against_ten_give_exactly_ten(
    on_postgres, committed_db, manager, customer, product, warehouse, storekeeper
):
    FulfillmentSettings.objects.create(reserve_on_confirm=False)
    orders = [make_order(manager, customer, [(product, 1, None)]) for _ in range(20)]
    receive(storekeeper, product, warehouse, 10)
    results = run_all([lambda o=o: order_reserve(by=manager, order=o.pk) for o in orders])
    assert not [r for r in results if isinstance(r, Exception)], results
    granted = [r[0]["reserved"] for r in results]
    assert sum(granted) == 10 and sorted(set(granted)) == [Decimal("0"), Decimal("1")]
    assert balance(product, warehouse).reserved == 10
    held = sum(o.lines.get().reservation.quantity for o in orders)
    assert held == 10


def test_two_shipments_of_six_against_ten_let_exactly_one_through(
    on_postgres, committed_db, manager, customer, product, warehouse, storekeeper
):
    from orderdesk.testing.factories import CompanyProfileFactory

    CompanyProfileFactory()
    receive(storekeeper, product, warehouse, 20)
    order = make_order(manager, customer, [(product, 10, None)])
    line = lines_of(order)[0]
    results = run_all(
        [
            lambda: shipment_create(by=storekeeper, order=order.pk, lines=[(line.pk, 6)]),
            lambda: shipment_create(by=storekeeper, order=order.pk, lines=[(line.pk, 6)]),
        ]
    )
    shipped = [r for r in results if isinstance(r, Shipment)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(shipped) == 1 and len(refused) == 1, results
    assert refused[0].code == "shipment_exceeds_ordered"
    assert OrderLine.objects.get(pk=line.pk).shipped_quantity == 6
    assert balance(product, warehouse).on_hand == 14
    assert balance(product, warehouse).reserved == 4
