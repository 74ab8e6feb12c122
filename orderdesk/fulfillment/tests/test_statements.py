"""What the warehouse's reaction to a confirmation costs: a fixed number of statements,
whatever the number of lines (issue 10, statements per order).

The reaction (`reactions.on_order_changed` with `CHANGE_CONFIRMED`) runs inside the real
confirming transaction; its statements are captured around the handler alone. Two parts
of them belong to other apps and are counted apart (they must not grow with the lines
either): the release gate's `hooks.RELEASE_BLOCKERS` answers (credit control's) and the
history writes (audit's, two events: reserved, released)."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderdesk.catalog.models import StockBalance
from orderdesk.fulfillment.models import Release, Reservation
from orderdesk.fulfillment.services import reactions
from orderdesk.orders import hooks
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.testing.factories import PriceListItemFactory, ProductFactory

from .conftest import contract_for

# the reservation: the balances FOR UPDATE (1), INSERT reservations (1), UPDATE balances (1);
# the release: SAVEPOINT, INSERT release (1), INSERT release lines (1), UPDATE order (1),
# RELEASE SAVEPOINT. A first confirmation reads no reservations, schedules or releases: the
# lock read that there are none (hooks.lock_fact, the lines' has_schedule); the history goes
# at the end of the unit of work (audit)
FULFILLMENT_STATEMENTS = 8


def is_audit(sql: str) -> bool:
    return '"audit_' in sql.split("(")[0] or sql.lower().startswith('select "audit_')


@pytest.fixture
def products(db, warehouse, price_list, storekeeper):
    from .conftest import receive

    made = []
    for i in range(20):
        product = ProductFactory(sku=f"BOLT-{i:02}", name=f"Болт {i}", cost_price=Decimal("5"))
        PriceListItemFactory(price_list=price_list, product=product, price=Decimal("10"))
        receive(storekeeper, product, warehouse, 100)
        made.append(product)
    return made


@contextmanager
def measured(monkeypatch):
    """Capture, per confirmation, the statements of the warehouse's ORDER_CHANGED handler
    and, apart, those of the RELEASE_BLOCKERS answers it asks for (handlers replaced in
    place: the registration order stays)."""
    runs: list[dict[str, list[str]]] = []

    def wrap(handler, key):
        def wrapper(**kwargs):
            with CaptureQueriesContext(connection) as ctx:
                answer = handler(**kwargs)
            runs[-1][key] += [q["sql"] for q in ctx.captured_queries]
            return answer

        return wrapper

    def reaction(**kwargs):
        runs.append({"reaction": [], "blockers": []})
        return wrap(reactions.on_order_changed, "reaction")(**kwargs)

    changed = [
        (name, reaction if name == "fulfillment.reserve_release_close" else handler)
        for name, handler in hooks._HANDLERS[hooks.ORDER_CHANGED]
    ]
    blockers = [(name, wrap(h, "blockers")) for name, h in hooks._HANDLERS[hooks.RELEASE_BLOCKERS]]
    monkeypatch.setitem(hooks._HANDLERS, hooks.ORDER_CHANGED, changed)
    monkeypatch.setitem(hooks._HANDLERS, hooks.RELEASE_BLOCKERS, blockers)
    yield runs


def confirm_order(manager, customer, products):
    order = order_create(
        by=manager,
        customer=customer,
        contract=contract_for(customer, products[0], "net14"),
        lines=[LineInput(product=p, quantity=Decimal(2)) for p in products],
    )
    return order_confirm(by=manager, order=order)


def test_the_reaction_to_a_confirmation_costs_the_same_for_1_and_20_lines(
    manager, customer, products, warehouse, monkeypatch, django_capture_on_commit_callbacks
):
    confirm_order(manager, customer, products[:1])  # the settings now sit in the process cache
    with measured(monkeypatch) as runs, django_capture_on_commit_callbacks() as callbacks:
        one = confirm_order(manager, customer, products[:1])
        twenty = confirm_order(manager, customer, products)
    assert not callbacks  # reserved and released in the confirming transaction

    (small, large) = runs
    assert len(small["reaction"]) == len(large["reaction"]), large["reaction"]
    assert len(small["blockers"]) == len(large["blockers"]), large["blockers"]
    audit = [[q for q in run["reaction"] if is_audit(q)] for run in runs]
    assert len(audit[0]) == len(audit[1]), audit[1]
    own = len(large["reaction"]) - len(large["blockers"]) - len(audit[1])
    assert own == FULFILLMENT_STATEMENTS, "\n".join(large["reaction"])

    # and it did the work: every line reserved and released, the balances moved
    for order, n in ((one, 1), (twenty, 20)):
        assert order.fulfillment_status == "released"
        assert Reservation.objects.filter(order=order, quantity=2).count() == n
        assert Release.objects.get(order=order).lines.count() == n
    assert StockBalance.objects.get(product=products[0], warehouse=warehouse).reserved == 6
    assert StockBalance.objects.get(product=products[19], warehouse=warehouse).reserved == 2


def test_reservation_on_confirmation_issues_one_insert_and_one_balance_update(
    manager, customer, products, monkeypatch
):
    confirm_order(manager, customer, products[:1])
    with measured(monkeypatch) as runs:
        confirm_order(manager, customer, products)
    sql = [q.lower() for q in runs[0]["reaction"]]
    assert sum(q.startswith('insert into "fulfillment_reservation"') for q in sql) == 1
    assert sum(q.startswith('update "catalog_stockbalance"') for q in sql) == 1
    assert sum('from "catalog_stockbalance"' in q and "for update" in q for q in sql) == (
        1 if connection.features.has_select_for_update else 0
    )
    assert not any(q.startswith('update "fulfillment_reservation"') for q in sql)
    assert not any('from "fulfillment_fulfillmentsettings"' in q for q in sql)  # cached
    assert not any('from "orders_order"' in q and "for update" in q for q in sql)
    assert not any('from "orders_orderline"' in q for q in sql)  # the lines come prefetched
