"""Currencies and exchange rates through the API, and the master-data part of the schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orderdesk.core.models import ExchangeRate
from orderdesk.core.services import rate_for
from orderdesk.testing.factories import ExchangeRateFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_currencies_are_listed_for_everyone(db):
    body = api(UserFactory(roles=["warehouse"])).get("/api/v1/currencies/").json()

    assert {"UAH", "USD", "EUR"} <= {c["code"] for c in body["results"]}
    uah = api(UserFactory(roles=["warehouse"])).get("/api/v1/currencies/UAH/").json()
    assert uah["minor_unit"] == 2


def test_exchange_rates_filter_by_currency_and_dates(manager):
    ExchangeRateFactory(currency_id="USD", date=dt.date(2026, 1, 1), rate=Decimal("41.5"))
    ExchangeRateFactory(currency_id="USD", date=dt.date(2026, 1, 2), rate=Decimal("41.7"))
    ExchangeRateFactory(currency_id="EUR", date=dt.date(2026, 1, 2), rate=Decimal("45.1"))
    client = api(manager)

    usd = client.get("/api/v1/exchange-rates/?currency=usd").json()
    assert [r["date"] for r in usd["results"]] == ["2026-01-02", "2026-01-01"]
    day = client.get("/api/v1/exchange-rates/?date=2026-01-02").json()
    assert {r["currency"] for r in day["results"]} == {"USD", "EUR"}
    since = client.get("/api/v1/exchange-rates/?currency=USD&date_from=2026-01-02").json()
    assert [r["rate"] for r in since["results"]] == ["41.700000"]


def test_an_administrator_sets_the_rate_of_a_day(admin_user):
    client = api(admin_user)
    body = {"currency": "USD", "date": "2026-03-02", "rate": "41.25"}

    first = client.post("/api/v1/exchange-rates/", body, format="json")
    again = client.post("/api/v1/exchange-rates/", {**body, "rate": "41.30"}, format="json")

    assert (first.status_code, again.status_code) == (201, 201)
    assert ExchangeRate.objects.filter(currency="USD").count() == 1
    assert rate_for("USD", dt.date(2026, 3, 5)) == Decimal("41.300000")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"currency": "USD", "date": "2026-03-02", "rate": "-1"}, "rate_not_positive"),
        ({"currency": "USD", "date": "2026-03-02", "rate": "0"}, "rate_not_positive"),
        ({"currency": "ABC", "date": "2026-03-02", "rate": "1"}, "currency_unknown"),
        ({"currency": "USD", "date": "2026-03-02", "rate": "1", "units": 0}, "units_not_positive"),
        ({"currency": "USD", "date": "yesterday", "rate": "1"}, "validation_error"),
    ],
)
def test_bad_rates_are_refused_and_nothing_is_saved(admin_user, body, code):
    response = api(admin_user).post("/api/v1/exchange-rates/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not ExchangeRate.objects.exists()


def test_only_an_administrator_sets_rates(manager):
    response = api(manager).post(
        "/api/v1/exchange-rates/",
        {"currency": "USD", "date": "2026-03-02", "rate": "41"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_currencies_are_read_only(admin_user):
    response = api(admin_user).post("/api/v1/currencies/", {"code": "GBP"}, format="json")

    assert response.status_code == 405


def test_the_schema_documents_master_data_with_pagination_and_errors(admin_user):
    response = api(admin_user).get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/customers/",
        "/api/v1/customers/{customer_pk}/contacts/",
        "/api/v1/customer-groups/",
        "/api/v1/sales-teams/",
        "/api/v1/contracts/",
        "/api/v1/products/",
        "/api/v1/product-groups/",
        "/api/v1/warehouses/",
        "/api/v1/price-lists/",
        "/api/v1/price-lists/{price_list_pk}/items/",
        "/api/v1/currencies/",
        "/api/v1/exchange-rates/",
        "/api/v1/payment-terms/",
        "/api/v1/payment-methods/",
        "/api/v1/delivery-methods/",
    ):
        assert path in paths, path
    create = paths["/api/v1/contracts/"]["post"]["responses"]
    assert {"201", "400", "403"} <= set(create)
    listing = paths["/api/v1/products/"]["get"]["responses"]["200"]
    ref = listing["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("PaginatedProductOutList")
