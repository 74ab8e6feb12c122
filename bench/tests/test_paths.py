"""The raw SQL client writes what the services write, and the runs' checks hold for both; the
payment services' outbound calls are watched for an open transaction."""

from __future__ import annotations

import dataclasses
import random
import socket
import threading

import pytest
from django.db import connection, transaction

from bench.external import Watch
from bench.generate import generate
from bench.report import LOST_UPDATE_KEYS
from bench.scales import Scale
from orderdesk.audit.models import Event
from orderdesk.credit.models import Commitment
from orderdesk.fulfillment.models import ReleaseLine, Reservation
from orderdesk.orders.models import Order, OrderLine

TINY = Scale.for_orders(60, name="test")


def _hot():
    from bench.clients import prepare_hot

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    url = f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return dataclasses.replace(prepare_hot(), database_url=url)


def _order(pk: int) -> dict:
    order = Order.objects.get(pk=pk)
    events = list(Event.objects.filter(stream=f"orders.order:{pk}").order_by("seq"))
    lines = list(OrderLine.objects.filter(order_id=pk).order_by("position"))
    return {
        "state": (order.status, order.fulfillment_status, order.payment_status),
        "actions": [e.action for e in events],
        "actors": [e.actor_name for e in events],
        "changed": [sorted(e.changes) for e in events],
        "data": [sorted(e.data) for e in events],
        "committed": Commitment.objects.get(order_id=pk).amount == order.base_gross_amount,
        "reserved": sorted(
            Reservation.objects.filter(order_id=pk).values_list("quantity", flat=True)
        ),
        "released": sorted(
            ReleaseLine.objects.filter(line__order_id=pk).values_list("quantity", flat=True)
        ),
        "lines": [
            (li.quantity, li.price_source, li.discount_breakdown, li.discount_source)
            for li in lines
        ],
    }


@pytest.mark.postgres
def test_the_raw_client_writes_the_rows_the_services_write(committed_db):
    from bench import throughput
    from bench.clients import RawClient, ServicesClient

    generate(TINY, seed=5)
    hot = _hot()
    throughput.restock(hot)
    before = throughput._db_state(hot)
    rng = random.Random(1)
    raw, services = RawClient(hot), ServicesClient(hot)
    try:
        raw_ids = [raw.op(rng) for _ in range(2)]
        services_ids = [services.op(rng) for _ in range(2)]
    finally:
        raw.close()
    after = throughput._db_state(hot)

    checks = throughput._checks(hot, before, after)
    assert checks["orders_created"] == 4
    assert {k: checks[k] for k in LOST_UPDATE_KEYS} == dict.fromkeys(LOST_UPDATE_KEYS, 0)
    assert checks["chain_broken"] is None
    assert _order(raw_ids[0]) == _order(services_ids[0])
    assert _order(raw_ids[0])["actions"][-4:] == [
        "orders.order.confirmed",
        "fulfillment.stock.reserved",
        "fulfillment.order.released",
        "orders.order.fulfillment_status_changed",
    ]
    # every multi-row statement stays one: the count does not grow with the lines
    five, twenty = (throughput.count_raw_statements(hot, n) for n in (5, 20))
    # on PostgreSQL the history's head and events are one statement (a CTE), as the services'
    history = 1 if connection.vendor == "postgresql" else 2
    assert five["total"] == twenty["total"] == 22 + 3 * history
    assert five["transactions"] == {
        "create": 5 + history,
        "confirm": 7 + history,
        "release": 4 + history,
    }


def test_the_watch_tells_a_call_inside_a_transaction_from_one_outside(committed_db):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    port = server.getsockname()[1]
    # the listener accepts both connections before the socket is closed (closing it under a
    # pending accept() made the thread fail)
    acceptor = threading.Thread(target=lambda: [server.accept()[0].close() for _ in range(2)])
    acceptor.start()
    try:
        with Watch() as watch:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            with transaction.atomic():
                Order.objects.exists()
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
        acceptor.join(10)
    finally:
        server.close()
    assert [c["in_transaction"] for c in watch.calls] == [False, True]


def test_the_payment_services_call_out_only_between_transactions(committed_db):
    from bench.external import measure

    generate(TINY, seed=6)
    result = measure()

    assert result["misses"] == []
    assert result["calls"] >= 5  # three links, the bank's key, the poll
    assert result["served"] == result["calls"]
    assert result["steps"]["monobank webhook"].startswith("200")
