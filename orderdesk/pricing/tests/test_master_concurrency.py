"""Races on master data, with real threads on PostgreSQL: the customer row serializes them."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import ValidationFailed
from orderdesk.customers.models import Customer, PaymentMethod, PaymentTerms
from orderdesk.customers.services import customer_create
from orderdesk.pricing.models import Contract
from orderdesk.pricing.services import contract_create
from orderdesk.testing.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.postgres


def run_together(n: int, work) -> tuple[list, list[BaseException]]:
    barrier = threading.Barrier(n, timeout=10)
    results: list = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_ten_concurrent_default_contracts_leave_exactly_one_default(committed_db, on_postgres):
    admin = UserFactory(roles=["administrator"])
    customer = CustomerFactory()
    terms = PaymentTerms.objects.get(code="net14")
    method = PaymentMethod.objects.get(code="bank")

    def work(i: int):
        return contract_create(
            by=admin,
            customer=customer,
            number=f"{i}/2026",
            date=dt.date(2026, 1, 1),
            payment_terms=terms,
            payment_method=method,
            is_default=True,
        )

    created, errors = run_together(10, work)

    assert errors == []
    assert len(created) == 10
    assert Contract.objects.filter(customer=customer, is_default=True).count() == 1
    assert verify_chain([stream_of(customer)]) == (19, None)


def test_concurrent_customers_with_one_tax_id_give_one_customer_and_clean_refusals(
    committed_db, on_postgres
):
    manager = UserFactory(roles=["sales_manager"])

    def work(i: int):
        return customer_create(
            by=manager, legal_name=f"ТОВ {i}", short_name=f"К{i}", tax_id="44556677"
        )

    created, errors = run_together(8, work)

    assert len(created) == 1
    assert len(errors) == 7
    assert all(isinstance(e, ValidationFailed) and e.code == "tax_id_taken" for e in errors)
    assert Customer.objects.filter(tax_id="44556677").count() == 1
