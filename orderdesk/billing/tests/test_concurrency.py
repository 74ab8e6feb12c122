"""Eight threads post 500 invoices at once on PostgreSQL: the numbers run 1..500 with no gap
and no repeat (the series row is locked at posting, as the last step)."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from decimal import Decimal

import pytest
from django.db import connection

from orderdesk.billing.models import DocumentStatus, Invoice
from orderdesk.billing.services import document_post, invoice_create
from orderdesk.customers.models import PaymentTerms
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.orders.services.progress import order_lines_ship
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
)

THREADS, ORDERS, LINES = 8, 100, 5


@pytest.mark.postgres
def test_eight_threads_posting_500_invoices_get_contiguous_numbers(
    keep_seed_data, transactional_db, on_postgres
):
    WarehouseFactory(code="MAIN")
    accountant = UserFactory(username="acc", roles=["accountant"])
    manager = UserFactory(username="mgr", roles=["sales_manager"])
    warehouse = UserFactory(username="wh", roles=["warehouse"])
    price_list = PriceListFactory(code="PL")
    products = [ProductFactory() for _ in range(LINES)]
    for product in products:
        PriceListItemFactory(price_list=price_list, product=product, price=Decimal("10"))
    customer = CustomerFactory(manager=manager)
    ContractFactory(
        customer=customer,
        price_list=price_list,
        payment_terms=PaymentTerms.objects.get(code="net30"),
    )
    drafts = []
    for _ in range(ORDERS):
        order = order_create(
            by=manager,
            customer=customer,
            lines=[LineInput(product=p, quantity=1) for p in products],
        )
        order_confirm(by=manager, order=order)
        lines = list(order.lines.order_by("position"))
        order_lines_ship(
            by=warehouse, order=order, lines=[(li, 1) for li in lines], shipped_on=dt.date.today()
        )
        for line in lines:
            drafts.append(
                invoice_create(by=accountant, order=order, kind="shipment", lines=[(line, 1)]).pk
            )
    assert len(drafts) == ORDERS * LINES == 500

    work: queue.Queue[int] = queue.Queue()
    for pk in drafts:
        work.put(pk)
    errors: list[BaseException] = []

    def poster() -> None:
        try:
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    return
                document_post(by=accountant, doc_type="invoice", pk=pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poster) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    year = dt.date.today().year
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"РФ-{year}-{n:06d}" for n in range(1, 501)]
    assert Invoice.objects.filter(status=DocumentStatus.POSTED).count() == 500
