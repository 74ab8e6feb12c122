"""Races on prices, with real threads on PostgreSQL: the stream root rows serialize them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError
from orderdesk.pricing import services
from orderdesk.pricing.models import ContractPrice, PriceListItem
from orderdesk.pricing.tests.test_master_concurrency import run_together
from orderdesk.testing.factories import (
    ContractFactory,
    PriceListFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.postgres


def test_one_import_applied_by_two_administrators_at_once_applies_once(committed_db, on_postgres):
    admin = UserFactory(roles=["administrator"])
    WarehouseFactory(code="MAIN")
    for i in range(20):
        ProductFactory(sku=f"R-{i}")
    target = PriceListFactory(code="RACE")
    text = "sku;price;valid_from\n" + "".join(f"R-{i};{i + 1};2026-11-01\n" for i in range(20))
    preview = services.price_import_preview(
        by=admin, price_list=target, file=text.encode(), file_name="race.csv"
    )

    applied, errors = run_together(
        4, lambda i: services.price_import_apply(by=admin, price_import=preview.price_import)
    )

    assert len(applied) == 1
    assert len(errors) == 3
    assert all(isinstance(e, DomainError) and e.code == "import_already_applied" for e in errors)
    assert PriceListItem.objects.filter(price_list=target).count() == 20
    assert verify_chain([stream_of(target)]) == (21, None)


def test_concurrent_contract_prices_for_one_product_leave_one(committed_db, on_postgres):
    admin = UserFactory(roles=["administrator"])
    WarehouseFactory(code="MAIN")
    product = ProductFactory(sku="ONE")
    contract = ContractFactory()

    def work(i: int):
        return services.contract_price_add(
            by=admin, contract=contract, product=product, price=Decimal(10 + i),
            valid_from=dt.date(2026, 1, 1) + dt.timedelta(days=i),
        )  # fmt: skip

    created, errors = run_together(6, work)

    assert len(created) == 1
    assert all(isinstance(e, DomainError) and e.code == "price_period_overlap" for e in errors)
    assert ContractPrice.objects.filter(contract=contract).count() == 1
    stream = stream_of(contract.customer)
    assert verify_chain([stream])[1] is None
