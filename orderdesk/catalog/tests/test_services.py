"""Catalogue services: products and warehouses with their balance rows, groups, rights."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.catalog import services
from orderdesk.catalog.models import Product, ProductGroup, StockBalance, Warehouse
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.testing.factories import ProductGroupFactory

pytestmark = pytest.mark.django_db


def test_product_create_makes_a_balance_row_per_warehouse_and_records_history(
    admin_user, warehouse
):
    second = services.warehouse_create(by=admin_user, code="KYIV", name="Київ")

    product = services.product_create(
        by=admin_user, sku="BOLT-8", name="Болт М8", cost_price=Decimal("2.5"), cost_currency="EUR"
    )

    assert set(product.balances.values_list("warehouse__code", flat=True)) == {"MAIN", "KYIV"}
    assert product.cost_currency_id == "EUR"
    assert Event.objects.get(stream=stream_of(product)).action == "catalog.product.created"
    assert Event.objects.get(stream=stream_of(second)).changes["code"] == {
        "from": None,
        "to": "KYIV",
    }


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"sku": "NAIL-100"}, "sku_taken"),
        ({"sku": " "}, "sku_required"),
        ({"vat_rate": Decimal("101")}, "vat_rate_invalid"),
        ({"cost_price": Decimal("-1")}, "cost_price_negative"),
        ({"cost_currency": "XXX"}, "currency_unknown"),
    ],
)
def test_product_create_refuses_bad_input_and_saves_nothing(admin_user, product, kwargs, code):
    with pytest.raises(ValidationFailed) as err:
        services.product_create(by=admin_user, **{"sku": "NEW-1", "name": "Нове", **kwargs})

    assert err.value.code == code
    assert Product.objects.count() == 1


def test_the_catalogue_is_the_administrators(manager, product):
    with pytest.raises(PermissionRefused) as err:
        services.product_update(by=manager, product=product, name="Інше")
    assert err.value.code == "master_data_forbidden"
    with pytest.raises(PermissionRefused):
        services.warehouse_create(by=manager, code="X", name="X")
    with pytest.raises(PermissionRefused):
        services.product_group_create(by=manager, code="X", name="X")


def test_product_update_records_only_what_changed(admin_user, product):
    services.product_update(
        by=admin_user, product=product, name="Цвяхи 100 мм (оцинк.)", cost_currency="USD"
    )

    event = Event.objects.get(stream=stream_of(product))
    assert event.changes == {
        "name": {"from": "Цвяхи 100 мм", "to": "Цвяхи 100 мм (оцинк.)"},
        "cost_currency": {"from": "UAH", "to": "USD"},
    }


def test_product_update_refuses_a_taken_sku(admin_user, product):
    other = services.product_create(by=admin_user, sku="NAIL-120", name="Цвяхи 120")

    with pytest.raises(ValidationFailed) as err:
        services.product_update(by=admin_user, product=other, sku="NAIL-100")

    assert err.value.code == "sku_taken"
    other.refresh_from_db()
    assert other.sku == "NAIL-120"


def test_warehouse_create_gives_every_product_a_row_and_refuses_a_taken_code(
    admin_user, warehouse, product
):
    new = services.warehouse_create(by=admin_user, code="LVIV", name="Львів")

    assert StockBalance.objects.filter(warehouse=new, product=product).exists()
    with pytest.raises(ValidationFailed) as err:
        services.warehouse_create(by=admin_user, code="LVIV", name="Львів 2")
    assert err.value.code == "warehouse_code_taken"
    assert Warehouse.objects.count() == 2


def test_warehouse_update_renames_and_deactivates(admin_user, warehouse):
    services.warehouse_update(by=admin_user, warehouse=warehouse, name="Головний", active=False)

    warehouse.refresh_from_db()
    assert (warehouse.name, warehouse.active) == ("Головний", False)
    assert Event.objects.get(stream=stream_of(warehouse)).action == "catalog.warehouse.changed"


def test_product_groups_cannot_contain_themselves(admin_user):
    top = services.product_group_create(by=admin_user, code="TOOLS", name="Інструмент")
    sub = services.product_group_create(by=admin_user, code="HAND", name="Ручний", parent=top)

    with pytest.raises(ValidationFailed) as err:
        services.product_group_update(by=admin_user, group=top, parent=sub)
    assert err.value.code == "product_group_cycle"
    with pytest.raises(ValidationFailed) as err:
        services.product_group_update(by=admin_user, group=top, parent=top)
    assert err.value.code == "product_group_cycle"
    top.refresh_from_db()
    assert top.parent is None


def test_product_group_codes_are_unique(admin_user):
    ProductGroupFactory(code="G1")

    with pytest.raises(ValidationFailed) as err:
        services.product_group_create(by=admin_user, code="G1", name="Дубль")

    assert err.value.code == "code_taken"
    assert ProductGroup.objects.count() == 1
