"""Contracts and price lists through the API: scoping, rights, codes, nested prices."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from orderdesk.customers.models import PaymentMethod, PaymentTerms
from orderdesk.pricing.models import Contract, PriceListItem
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    ExchangeRateFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def contract_body(customer, **kw):
    return {
        "customer": customer.pk,
        "number": "7/2026",
        "date": "2026-02-01",
        "currency": "EUR",
        "payment_terms": PaymentTerms.objects.get(code="half50").pk,
        "payment_method": PaymentMethod.objects.get(code="bank").pk,
        "max_manual_discount": "5",
        "is_default": True,
        **kw,
    }


def test_contracts_are_listed_for_visible_customers_and_filtered_by_customer(manager, contract):
    ContractFactory(customer=CustomerFactory())
    accountant = UserFactory(roles=["accountant"])

    mine = api(manager).get("/api/v1/contracts/").json()
    assert [c["id"] for c in mine["results"]] == [contract.pk]
    everything = api(accountant).get("/api/v1/contracts/").json()
    assert everything["count"] == 2
    one = api(accountant).get(f"/api/v1/contracts/?customer={contract.customer_id}").json()
    assert [c["number"] for c in one["results"]] == ["15/2026"]


def test_an_invisible_contract_is_404(other_manager, contract):
    response = api(other_manager).get(f"/api/v1/contracts/{contract.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "contract_not_found"


def test_an_administrator_adds_a_default_contract_replacing_the_old(admin_user, contract):
    response = api(admin_user).post(
        "/api/v1/contracts/", contract_body(contract.customer), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["is_default"] is True
    assert response.json()["currency"] == "EUR"
    contract.refresh_from_db()
    assert contract.is_default is False


def test_a_manager_may_not_add_contracts(manager, customer):
    response = api(manager).post("/api/v1/contracts/", contract_body(customer), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "contract_edit_forbidden"
    assert not Contract.objects.exists()


def test_a_contract_for_an_unknown_or_invisible_customer_is_refused(head, customer):
    response = api(head).post("/api/v1/contracts/", contract_body(customer), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "customer_unknown"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"valid_from": "2026-03-01", "valid_to": "2026-02-01"}, "contract_period_invalid"),
        ({"currency": "ZZZ"}, "currency_unknown"),
        ({"max_manual_discount": "150"}, "max_discount_out_of_range"),
    ],
)
def test_bad_contract_terms_get_stable_codes(admin_user, customer, changes, code):
    response = api(admin_user).post(
        "/api/v1/contracts/", contract_body(customer, **changes), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Contract.objects.exists()


def test_a_discount_with_too_many_digits_is_a_validation_error(admin_user, customer):
    response = api(admin_user).post(
        "/api/v1/contracts/",
        contract_body(customer, max_manual_discount="5.123"),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "max_manual_discount" in response.json()["fields"]


def test_a_contract_is_patched_but_keeps_its_customer(admin_user, contract):
    other = CustomerFactory()
    response = api(admin_user).patch(
        f"/api/v1/contracts/{contract.pk}/",
        {"delivery_terms": "EXW Київ", "customer": other.pk},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["delivery_terms"] == "EXW Київ"
    assert response.json()["customer"] == contract.customer_id


def test_price_lists_are_not_for_the_warehouse(price_list):
    response = api(UserFactory(roles=["warehouse"])).get("/api/v1/price-lists/")

    assert response.status_code == 403


def test_price_list_items_are_nested_and_overlaps_refused(admin_user, price_list, product):
    client = api(admin_user)
    base = f"/api/v1/price-lists/{price_list.pk}/items/"

    listed = client.get(base).json()
    assert [(i["sku"], i["price"]) for i in listed["results"]] == [("NAIL-100", "100.0000")]
    overlap = client.post(
        base, {"product": product.pk, "price": "120", "valid_from": "2026-05-01"}, format="json"
    )
    assert overlap.status_code == 400
    assert overlap.json()["code"] == "price_period_overlap"
    negative = client.post(
        base,
        {"product": ProductFactory().pk, "price": "-1", "valid_from": "2026-05-01"},
        format="json",
    )
    assert negative.json()["code"] == "price_negative"
    item_id = listed["results"][0]["id"]
    ended = client.patch(f"{base}{item_id}/", {"valid_to": "2026-04-30"}, format="json")
    assert ended.status_code == 200
    added = client.post(
        base, {"product": product.pk, "price": "120", "valid_from": "2026-05-01"}, format="json"
    )
    assert added.status_code == 201
    on_day = client.get(f"{base}?on=2026-06-01").json()
    assert [i["price"] for i in on_day["results"]] == ["120.0000"]
    assert client.delete(f"{base}{item_id}/").status_code == 204
    assert PriceListItem.objects.count() == 1


def test_prices_are_read_by_sales_and_written_by_administrators(manager, price_list, product):
    base = f"/api/v1/price-lists/{price_list.pk}/items/"
    client = api(manager)

    assert client.get(base).status_code == 200
    response = client.post(
        base, {"product": product.pk, "price": "1", "valid_from": "2030-01-01"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "master_data_forbidden"


def test_an_unknown_price_list_is_404(admin_user):
    response = api(admin_user).get("/api/v1/price-lists/999999/items/")

    assert response.status_code == 404
    assert response.json()["code"] == "price_list_not_found"


def test_price_list_create_and_patch(admin_user):
    # a list in a foreign currency needs a rate of that currency (`exchange_rate_missing`)
    for code in ("EUR", "USD"):
        ExchangeRateFactory(currency_id=code, date=dt.date(2020, 1, 1), rate="40")
    client = api(admin_user)
    created = client.post(
        "/api/v1/price-lists/", {"code": "EXP", "name": "Експорт", "currency": "EUR"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["item_count"] == 0
    patched = client.patch(
        f"/api/v1/price-lists/{created.json()['id']}/", {"currency": "usd"}, format="json"
    )
    assert patched.json()["currency"] == "USD"
