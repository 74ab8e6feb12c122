"""Product pages: search and the card with stock per warehouse (and prices for sales)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orderdesk.catalog.models import StockBalance
from orderdesk.testing.factories import (
    ProductFactory,
    ProductGroupFactory,
    UserFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_products_are_searched_by_sku_or_name_and_filtered_by_group(login, manager, product):
    tools = ProductGroupFactory(name="Інструмент")
    ProductFactory(sku="HAM-1", name="Молоток", group=tools)
    ProductFactory(sku="OLD-1", name="Старий", active=False)
    client = login(manager)

    everything = client.get(reverse("catalog:products"))
    assert "NAIL-100" in everything.text and "HAM-1" in everything.text
    assert "OLD-1" not in everything.text  # inactive ones only on request
    assert "OLD-1" in client.get(reverse("catalog:products") + "?all=1").text
    by_sku = client.get(reverse("catalog:products") + "?q=ham")
    assert "HAM-1" in by_sku.text and "NAIL-100" not in by_sku.text
    by_group = client.get(reverse("catalog:products") + f"?group={tools.pk}")
    assert "HAM-1" in by_group.text and "NAIL-100" not in by_group.text


def test_the_product_card_shows_stock_per_warehouse_and_todays_prices(
    login, manager, product, warehouse
):
    second = WarehouseFactory(code="LVIV", name="Львівський склад")
    StockBalance.objects.create(product=product, warehouse=second, on_hand=Decimal("7"))
    StockBalance.objects.filter(product=product, warehouse=warehouse).update(
        on_hand=Decimal("5"), reserved=Decimal("1")
    )

    response = login(manager).get(reverse("catalog:product", args=[product.pk]))

    assert response.status_code == 200
    assert "Основний склад" in response.text and "Львівський склад" in response.text
    assert 'id="prices"' in response.text and "Wholesale" in response.text


def test_the_warehouse_sees_stock_but_not_prices(login, product):
    response = login(UserFactory(roles=["warehouse"])).get(
        reverse("catalog:product", args=[product.pk])
    )

    assert response.status_code == 200
    assert 'id="stock"' in response.text and 'id="prices"' not in response.text


def test_an_unknown_product_is_404(login, manager):
    assert login(manager).get(reverse("catalog:product", args=[999999])).status_code == 404


def test_the_product_list_answers_htmx_with_the_table_only(login, manager, product):
    response = login(manager).get(reverse("catalog:products") + "?q=NAIL", HTTP_HX_REQUEST="true")

    assert "<html" not in response.text and "NAIL-100" in response.text
