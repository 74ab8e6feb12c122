"""Customers API: scoping by role, error shape and codes, pagination, nested contacts, terms."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orderdesk.customers.models import Contact, Customer, PaymentTerms
from orderdesk.testing.factories import (
    ContactFactory,
    CustomerFactory,
    SalesTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


NEW = {"legal_name": "ТОВ «Гамма»", "short_name": "Гамма", "tax_id": "23456789"}


def test_anonymous_requests_are_refused(db):
    response = APIClient().get("/api/v1/customers/")

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_a_manager_lists_only_own_customers(manager, customer):
    CustomerFactory()

    response = api(manager).get("/api/v1/customers/")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_a_head_sees_the_teams_customers_and_finance_sees_all(head, manager, customer):
    SalesTeamFactory(head=head).members.add(manager)
    outsider = CustomerFactory()

    ids = {c["id"] for c in api(head).get("/api/v1/customers/").json()["results"]}
    assert ids == {customer.pk}
    accountant = UserFactory(roles=["accountant"])
    ids = {c["id"] for c in api(accountant).get("/api/v1/customers/").json()["results"]}
    assert ids == {customer.pk, outsider.pk}


def test_the_warehouse_may_not_read_customers(customer):
    response = api(UserFactory(roles=["warehouse"])).get("/api/v1/customers/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_list_is_paginated_searchable_and_filterable(admin_user, manager):
    for n in range(5):
        CustomerFactory(manager=manager, short_name=f"Бета {n}")
    CustomerFactory(short_name="Омега", active=False)

    page = api(admin_user).get("/api/v1/customers/?page_size=2").json()
    assert page["count"] == 6 and len(page["results"]) == 2 and page["next"]
    found = api(admin_user).get("/api/v1/customers/?search=Омега").json()
    assert [c["short_name"] for c in found["results"]] == ["Омега"]
    active = api(admin_user).get("/api/v1/customers/?active=false").json()
    assert [c["short_name"] for c in active["results"]] == ["Омега"]


def test_an_invisible_customer_answers_404(other_manager, customer):
    response = api(other_manager).get(f"/api/v1/customers/{customer.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_a_manager_creates_a_customer_and_becomes_its_manager(manager):
    response = api(manager).post("/api/v1/customers/", NEW, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["manager"] == manager.pk
    assert body["contacts"] == []
    assert Customer.objects.get(pk=body["id"]).manager == manager


def test_a_bad_tax_id_gets_a_stable_code_and_saves_nothing(manager):
    response = api(manager).post("/api/v1/customers/", {**NEW, "tax_id": "123"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "tax_id_invalid",
        "detail": response.json()["detail"],
        "fields": {"tax_id": "123"},
    }
    assert not Customer.objects.exists()


def test_a_missing_field_is_a_validation_error_naming_it(manager):
    response = api(manager).post("/api/v1/customers/", {"short_name": "X"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert {"legal_name", "tax_id"} <= set(body["fields"])


def test_a_taken_tax_id_is_refused(manager, customer):
    response = api(manager).post(
        "/api/v1/customers/", {**NEW, "tax_id": customer.tax_id}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "tax_id_taken"


def test_creating_customers_is_refused_to_accountants(db):
    response = api(UserFactory(roles=["accountant"])).post("/api/v1/customers/", NEW, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "customer_create_forbidden"


def test_a_manager_patches_the_address_but_not_the_legal_name(manager, customer):
    client = api(manager)
    ok = client.patch(
        f"/api/v1/customers/{customer.pk}/", {"delivery_address": "Одеса"}, format="json"
    )
    refused = client.patch(
        f"/api/v1/customers/{customer.pk}/", {"legal_name": "ТОВ «Зміна»"}, format="json"
    )

    assert ok.status_code == 200 and ok.json()["delivery_address"] == "Одеса"
    assert refused.status_code == 403
    assert refused.json()["code"] == "customer_field_forbidden"
    assert refused.json()["fields"] == {"legal_name": "forbidden"}


def test_contacts_are_nested_under_the_customer(manager, customer):
    client = api(manager)
    base = f"/api/v1/customers/{customer.pk}/contacts/"

    created = client.post(base, {"name": "Ірина", "email": "iryna@example.com"}, format="json")
    assert created.status_code == 201, created.json()
    contact_id = created.json()["id"]
    listed = client.get(base).json()
    assert [c["name"] for c in listed["results"]] == ["Ірина"]
    patched = client.patch(f"{base}{contact_id}/", {"is_primary": True}, format="json")
    assert patched.json()["is_primary"] is True
    assert client.delete(f"{base}{contact_id}/").status_code == 204
    assert not Contact.objects.exists()


def test_contacts_of_an_invisible_customer_are_404(other_manager, customer):
    contact = ContactFactory(customer=customer)
    client = api(other_manager)

    assert client.get(f"/api/v1/customers/{customer.pk}/contacts/").status_code == 404
    response = client.patch(
        f"/api/v1/customers/{customer.pk}/contacts/{contact.pk}/", {"name": "X"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_a_bad_contact_email_is_refused(manager, customer):
    response = api(manager).post(
        f"/api/v1/customers/{customer.pk}/contacts/", {"name": "Іван", "email": "ні"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "email_invalid"


def test_payment_terms_come_with_their_instalments(manager):
    response = api(manager).get("/api/v1/payment-terms/?search=half50")

    terms = response.json()["results"][0]
    assert terms["prepayment_percent"] == "50.00"
    assert [(i["share_percent"], i["trigger"], i["days"]) for i in terms["instalments"]] == [
        ("50.00", "on_order", 0),
        ("50.00", "after_shipment", 14),
    ]


def test_payment_terms_created_through_the_api_must_add_up_to_100(admin_user):
    body = {
        "code": "p30",
        "name": "30/70",
        "instalments": [
            {"share_percent": "30", "trigger": "on_order"},
            {"share_percent": "60", "trigger": "after_invoice", "days": 10},
        ],
    }
    refused = api(admin_user).post("/api/v1/payment-terms/", body, format="json")
    body["instalments"][1]["share_percent"] = "70"
    created = api(admin_user).post("/api/v1/payment-terms/", body, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "instalments_not_100"
    assert created.status_code == 201
    assert len(created.json()["instalments"]) == 2
    assert PaymentTerms.objects.filter(code="p30").count() == 1


def test_reference_data_is_read_by_all_and_written_by_administrators(admin_user, manager):
    warehouse_user = UserFactory(roles=["warehouse"])
    for path in ("payment-methods", "delivery-methods", "customer-groups", "sales-teams"):
        assert api(warehouse_user).get(f"/api/v1/{path}/").status_code == 200
    refused = api(manager).post(
        "/api/v1/delivery-methods/", {"code": "meest", "name": "Meest"}, format="json"
    )
    created = api(admin_user).post(
        "/api/v1/delivery-methods/", {"code": "meest", "name": "Meest"}, format="json"
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "master_data_forbidden"
    assert created.status_code == 201
    patched = api(admin_user).patch(
        f"/api/v1/delivery-methods/{created.json()['id']}/", {"active": False}, format="json"
    )
    assert patched.json()["active"] is False


def test_a_payment_method_of_an_unknown_kind_is_a_validation_error(admin_user):
    response = api(admin_user).post(
        "/api/v1/payment-methods/", {"code": "x", "name": "X", "kind": "barter"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["kind"][0]["code"] == "invalid_choice"


def test_sales_teams_are_read_only(admin_user):
    response = api(admin_user).post("/api/v1/sales-teams/", {"name": "X"}, format="json")

    assert response.status_code == 405
