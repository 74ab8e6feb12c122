"""Contract and price-list pages: who may open them, what a refusal looks like."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orderdesk.customers.models import PaymentMethod, PaymentTerms
from orderdesk.pricing.models import Contract, PriceListItem
from orderdesk.testing.factories import ProductFactory, SalesTeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def contract_form(**kw):
    return {
        "number": "22/2026",
        "date": "2026-02-01",
        "valid_from": "2026-02-01",
        "currency": "UAH",
        "payment_terms": PaymentTerms.objects.get(code="net14").pk,
        "payment_method": PaymentMethod.objects.get(code="bank").pk,
        "max_manual_discount": "7.5",
        "is_default": "on",
        "active": "on",
        **kw,
    }


def test_an_administrator_adds_a_contract_from_the_customer_card(login, admin_user, contract):
    customer = contract.customer
    client = login(admin_user)
    url = reverse("pricing:contract_create") + f"?customer={customer.pk}"

    assert client.get(url).status_code == 200
    response = client.post(url, contract_form())

    assert response.status_code == 302
    assert response.url.startswith(reverse("customers:detail", args=[customer.pk]))
    new = Contract.objects.get(number="22/2026")
    contract.refresh_from_db()
    assert new.is_default and not contract.is_default


def test_a_reversed_period_is_shown_on_the_form(login, admin_user, customer):
    url = reverse("pricing:contract_create") + f"?customer={customer.pk}"

    response = login(admin_user).post(url, contract_form(valid_to="2026-01-01"))

    assert response.status_code == 400
    assert "contract_period_invalid" in response.text
    assert not Contract.objects.exists()


def test_a_manager_may_not_open_the_contract_pages(login, manager, contract):
    client = login(manager)

    url = reverse("pricing:contract_create") + f"?customer={contract.customer_id}"
    assert client.get(url).status_code == 403
    assert client.get(reverse("pricing:contract_edit", args=[contract.pk])).status_code == 403


def test_a_head_outside_the_team_gets_404_and_inside_edits(login, head, manager, contract):
    url = reverse("pricing:contract_edit", args=[contract.pk])
    assert login(head).get(url).status_code == 404

    SalesTeamFactory(head=head).members.add(manager)
    response = login(head).post(url, contract_form(number="15/2026", delivery_terms="DAP Київ"))

    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.delivery_terms == "DAP Київ"


def test_price_lists_for_sales_not_for_the_warehouse(login, manager, price_list, product):
    client = login(manager)
    listing = client.get(reverse("pricing:price_lists"))
    page = client.get(reverse("pricing:price_list", args=[price_list.pk]))

    assert listing.status_code == 200 and "Wholesale" in listing.text
    assert page.status_code == 200 and "NAIL-100" in page.text
    assert reverse("pricing:price_item_add", args=[price_list.pk]) not in page.text
    warehouse = login(UserFactory(roles=["warehouse"]))
    assert warehouse.get(reverse("pricing:price_lists")).status_code == 403
    assert warehouse.get(reverse("pricing:price_list", args=[price_list.pk])).status_code == 403


def test_an_unknown_price_list_is_404(login, admin_user):
    assert login(admin_user).get(reverse("pricing:price_list", args=[999999])).status_code == 404


def test_an_administrator_adds_a_price_and_sees_an_overlap_refused(
    login, admin_user, price_list, product
):
    client = login(admin_user)
    url = reverse("pricing:price_item_add", args=[price_list.pk])
    other = ProductFactory(sku="SCREW-1")

    overlap = client.post(
        url, {"sku": "NAIL-100", "price": "120", "min_quantity": "0", "valid_from": "2026-05-01"}
    )
    unknown = client.post(
        url, {"sku": "NOPE", "price": "1", "min_quantity": "0", "valid_from": "2026-05-01"}
    )
    added = client.post(
        url, {"sku": "screw-1", "price": "3.5", "min_quantity": "0", "valid_from": "2026-05-01"}
    )

    assert overlap.status_code == 400
    assert "price_period_overlap" in overlap.text
    assert unknown.status_code == 400
    assert added.status_code == 302
    assert PriceListItem.objects.filter(product=other, price="3.5").exists()


def test_an_administrator_ends_a_price(login, admin_user, price_list, product):
    item = PriceListItem.objects.get(product=product)
    url = reverse("pricing:price_item_edit", args=[price_list.pk, item.pk])

    response = login(admin_user).post(
        url,
        {"price": "100", "min_quantity": "0", "valid_from": "2020-01-01", "valid_to": "2026-04-30"},
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert str(item.valid_to) == "2026-04-30"


def test_a_manager_may_not_change_prices(login, manager, price_list):
    assert (
        login(manager).get(reverse("pricing:price_item_add", args=[price_list.pk])).status_code
        == 403
    )
