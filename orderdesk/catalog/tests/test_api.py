"""Catalogue API: products (search, filters, stock per warehouse), groups, warehouses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orderdesk.catalog.models import Product, StockBalance
from orderdesk.testing.factories import ProductFactory, ProductGroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_everyone_signed_in_reads_products_with_search_and_filters(product):
    tools = ProductGroupFactory(code="TOOLS")
    ProductFactory(sku="HAM-1", name="Молоток", group=tools)
    ProductFactory(sku="HAM-2", name="Молоток старий", group=tools, active=False)
    client = api(UserFactory(roles=["warehouse"]))

    # (SQLite folds the case of ASCII letters only, so the search keeps the Cyrillic case)
    by_name = client.get("/api/v1/products/?search=Молоток").json()
    assert {p["sku"] for p in by_name["results"]} == {"HAM-1", "HAM-2"}
    by_sku = client.get("/api/v1/products/?search=NAIL").json()
    assert [p["sku"] for p in by_sku["results"]] == ["NAIL-100"]
    active_tools = client.get(f"/api/v1/products/?group={tools.pk}&active=true").json()
    assert [p["sku"] for p in active_tools["results"]] == ["HAM-1"]


def test_a_product_shows_its_stock_per_warehouse(manager, product, warehouse):
    StockBalance.objects.filter(product=product, warehouse=warehouse).update(
        on_hand=Decimal("12"), reserved=Decimal("2")
    )

    body = api(manager).get(f"/api/v1/products/{product.pk}/").json()

    assert body["stock"] == [
        {
            "warehouse": warehouse.pk,
            "warehouse_code": "MAIN",
            "on_hand": "12.000",
            "reserved": "2.000",
            "available": "10.000",
        }
    ]


def test_products_are_paginated(manager):
    for _ in range(3):
        ProductFactory()

    page = api(manager).get("/api/v1/products/?page_size=2").json()

    assert page["count"] == 3 and len(page["results"]) == 2


def test_an_administrator_creates_and_changes_a_product(admin_user, warehouse):
    client = api(admin_user)
    created = client.post(
        "/api/v1/products/",
        {"sku": "SCR-5", "name": "Шуруп 5 мм", "vat_rate": "20", "cost_price": "0.35"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["stock"][0]["warehouse_code"] == "MAIN"
    patched = client.patch(
        f"/api/v1/products/{created.json()['id']}/", {"active": False}, format="json"
    )
    assert patched.json()["active"] is False


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sku": "NAIL-100", "name": "Дубль"}, 400, "sku_taken"),
        ({"sku": "X-1", "name": "X", "vat_rate": "120"}, 400, "vat_rate_invalid"),
        ({"sku": "X-1", "name": "X", "cost_currency": "QQQ"}, 400, "currency_unknown"),
        ({"sku": "X-1", "name": "X", "cost_price": "1.00001"}, 400, "validation_error"),
    ],
)
def test_bad_products_are_refused_with_codes(admin_user, product, body, status, code):
    response = api(admin_user).post("/api/v1/products/", body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert Product.objects.count() == 1


def test_a_manager_may_not_change_the_catalogue(manager, product):
    response = api(manager).patch(f"/api/v1/products/{product.pk}/", {"name": "X"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "master_data_forbidden"


def test_groups_and_warehouses(admin_user, warehouse):
    client = api(admin_user)
    group = client.post("/api/v1/product-groups/", {"code": "FAST", "name": "Кріплення"})
    assert group.status_code == 201
    cycle = client.patch(
        f"/api/v1/product-groups/{group.json()['id']}/",
        {"parent": group.json()["id"]},
        format="json",
    )
    assert cycle.json()["code"] == "product_group_cycle"
    taken = client.post("/api/v1/warehouses/", {"code": "MAIN", "name": "Дубль"}, format="json")
    assert taken.json()["code"] == "warehouse_code_taken"
    listed = client.get("/api/v1/warehouses/").json()
    assert [w["code"] for w in listed["results"]] == ["MAIN"]


def test_an_unknown_product_is_404(manager):
    response = api(manager).get("/api/v1/products/999999/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
