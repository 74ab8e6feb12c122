"""PostgreSQL, real threads: the same provider event delivered by eight threads at once takes
effect once — the unique (provider, event id) row is written in the same transaction as the
payment, after the order row is locked."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from orderdesk.billing.models import Payment
from orderdesk.payments.choices import LinkStatus
from orderdesk.payments.models import PaymentHold, PaymentLink, ProviderEvent
from orderdesk.payments.services import intermediary_create, payment_link_create
from orderdesk.payments.services._common import open_amount, system_user
from orderdesk.receivables.models import Allocation
from orderdesk.testing.factories import (
    CustomerFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
)

from .conftest import deliver, delivery, invoiced_order, success_delivery

THREADS = 8


def together(calls) -> list:
    """Run each call from its own thread, all released together; each thread closes its
    database connection. Returns the outcomes (an exception raised is the outcome)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            outcome = call()
        except Exception as exc:  # the caller's assertions show it
            outcome = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def at_once(deliveries):
    """Deliver each (provider, body, headers) from its own thread, all released together.
    Returns the answers' outcomes."""

    def answer(provider, body, headers):
        r = deliver(Client(), provider, body, headers)
        return (r.status_code, r.json())

    outcomes = together([lambda d=d: answer(*d) for d in deliveries])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    return outcomes


@pytest.fixture
def setting(committed_db, on_postgres, fake_provider):
    WarehouseFactory(code="MAIN")
    manager = UserFactory(username="mgr-c", roles=["sales_manager"])
    accountant = UserFactory(username="acc-c", roles=["accountant"])
    price_list = PriceListFactory(code="PL-C")
    product = ProductFactory()
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("33.33"))
    customer = CustomerFactory(manager=manager)
    system_user()  # as in production: made once, before the rush
    return manager, accountant, customer, product, price_list


@pytest.mark.postgres
@pytest.mark.parametrize("provider", ["liqpay", "monobank", "stripe"])
def test_the_same_event_from_eight_threads_is_applied_once(setting, fake_provider, provider):
    manager, accountant, customer, product, price_list = setting
    _order, invoice = invoiced_order(manager, customer, product, price_list, quantity=7)
    link = payment_link_create(by=accountant, invoice=invoice, provider=provider)
    body, headers = success_delivery(fake_provider, link)

    answers = at_once([(provider, body, headers)] * THREADS)

    assert [status for status, _ in answers] == [200] * THREADS
    outcomes = Counter(o for _, body in answers for o in body["outcomes"])
    assert outcomes == {"applied": 1, "duplicate": THREADS - 1}
    assert ProviderEvent.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.amount == link.amount and Allocation.objects.count() == 1
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID and link.payment == payment
    assert open_amount(invoice) == Decimal("0.00")


@pytest.mark.postgres
def test_different_events_of_one_link_racing_record_one_payment(setting, fake_provider):
    manager, accountant, customer, product, price_list = setting
    _order, invoice = invoiced_order(manager, customer, product, price_list, quantity=3)
    link = payment_link_create(by=accountant, invoice=invoice, provider="stripe")
    deliveries = [("stripe", *delivery(fake_provider, link, "processing"))]
    deliveries += [("stripe", *success_delivery(fake_provider, link)) for _ in range(3)]
    deliveries += [("stripe", *delivery(fake_provider, link, "failure")) for _ in range(4)]

    answers = at_once(deliveries)

    assert [status for status, _ in answers] == [200] * THREADS
    assert ProviderEvent.objects.count() == THREADS  # eight distinct events, each once
    assert Payment.objects.count() == 1 and not PaymentHold.objects.exists()
    assert PaymentLink.objects.get().status == LinkStatus.PAID


@pytest.mark.postgres
def test_an_unknown_payment_from_eight_threads_is_held_once(setting, fake_provider):
    body, headers = fake_provider.liqpay_callback("od-stranger", "success", amount="99.99")

    answers = at_once([("liqpay", body, headers)] * THREADS)

    outcomes = Counter(o for _, body in answers for o in body["outcomes"])
    assert outcomes == {"unknown_reference": 1, "duplicate": THREADS - 1}
    assert PaymentHold.objects.count() == 1 and ProviderEvent.objects.count() == 1


@pytest.mark.postgres
def test_payout_imports_meeting_in_opposite_order_never_deadlock(setting, monkeypatch):
    """Four payout reports (two carriers, two each) pay a quarter of the same four customers'
    invoices, half of them listing the customers in one order and half in the other, imported
    at once. The import locks the orders and then the customers' ledger balances up front, in
    ascending id, so none waits for another in a cycle: no deadlock (not even one that the
    retry would hide), every line matched, every invoice paid exactly."""
    from orderdesk.core import db
    from orderdesk.core.money import quantize
    from orderdesk.payments.services import payout_import

    from .test_payouts import MAPPING, csv_of, row, today_text

    manager, accountant, _customer, product, price_list = setting
    customers = [CustomerFactory(manager=manager) for _ in range(4)]
    invoices = [invoiced_order(manager, c, product, price_list)[1] for c in customers]
    quarters = {}
    for inv in invoices:
        q = quantize(inv.payable_amount / 4, "UAH")
        quarters[inv.pk] = [q, q, q, inv.payable_amount - 3 * q]
    carriers = [
        intermediary_create(
            by=accountant,
            code=f"carrier-{i}",
            name=f"Перевізник {i}",
            kind="cod_carrier",
            commission_percent="2",
            commission_fixed="20",
            column_mapping=MAPPING,
        )
        for i in range(2)
    ]
    reports = []
    for k in range(4):
        ordered = invoices if k % 2 == 0 else invoices[::-1]
        rows = [
            row(ref=f"R{k}-{inv.pk}", invoice=inv.number, gross=quarters[inv.pk][k],
                date=today_text())
            for inv in ordered
        ]  # fmt: skip
        reports.append((carriers[k // 2], f"R{k}", csv_of(rows)))

    retried: list[str] = []
    original = db.is_retryable

    def counting(exc: BaseException) -> bool:
        retry = original(exc)
        if retry:
            retried.append(type(exc).__name__ + ": " + str(exc).splitlines()[0])
        return retry

    monkeypatch.setattr(db, "is_retryable", counting)
    results = together(
        [
            lambda r=r: payout_import(
                by=accountant, intermediary=r[0], data=r[2], number=r[1], dry_run=False
            )
            for r in reports
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert not [r for r in retried if "deadlock" in r.lower()], retried
    assert sorted(r.matched for r in results) == [4, 4, 4, 4]
    assert Payment.objects.filter(order__customer__in=customers).count() == 16
    assert [open_amount(inv) for inv in invoices] == [0, 0, 0, 0]
