"""Customer pages: who sees which customer, the card with its panels, create/edit, contacts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orderdesk.customers.models import Contact, Customer
from orderdesk.testing.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    SalesTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_the_list_shows_only_own_customers_to_a_manager(login, manager, customer):
    CustomerFactory(short_name="Чужий")

    response = login(manager).get(reverse("customers:list"))

    assert response.status_code == 200
    assert "Альфа" in response.text and "Чужий" not in response.text
    assert 'href="/customers/"' in response.text  # the navigation entry


def test_the_list_searches_and_pages(login, admin_user, manager):
    for n in range(30):
        CustomerFactory(manager=manager, short_name=f"Дельта {n:02d}")
    CustomerFactory(short_name="Епсилон")
    client = login(admin_user)

    first = client.get(reverse("customers:list"))
    assert "Дельта 00" in first.text and "Епсилон" not in first.text
    second = client.get(reverse("customers:list") + "?page=2")
    assert "Епсилон" in second.text
    found = client.get(reverse("customers:list") + "?q=Епсилон")
    assert "Епсилон" in found.text and "Дельта" not in found.text


def test_htmx_search_returns_only_the_table(login, manager, customer):
    response = login(manager).get(reverse("customers:list") + "?q=Аль", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in response.text and "Альфа" in response.text


def test_the_warehouse_may_not_open_customers_and_has_no_menu_entry(login):
    client = login(UserFactory(roles=["warehouse"]))

    assert client.get(reverse("customers:list")).status_code == 403
    assert 'href="/customers/"' not in client.get(reverse("catalog:products")).text


def test_anonymous_users_are_sent_to_log_in(client, customer):
    response = client.get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_card_shows_details_contacts_and_the_contracts_panel(login, manager, contract):
    customer = contract.customer
    ContactFactory(customer=customer, name="Оксана Коваль", is_primary=True)

    response = login(manager).get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200
    text = response.text
    assert customer.tax_id in text and "Оксана Коваль" in text
    assert 'id="contracts"' in text and "15/2026" in text
    # a manager keeps contacts but does not edit contracts
    assert reverse("customers:contact_add", args=[customer.pk]) in text
    assert reverse("pricing:contract_edit", args=[contract.pk]) not in text


def test_the_card_offers_contract_editing_to_the_teams_head(login, head, manager, contract):
    SalesTeamFactory(head=head).members.add(manager)

    text = login(head).get(reverse("customers:detail", args=[contract.customer_id])).text

    assert reverse("pricing:contract_edit", args=[contract.pk]) in text
    assert reverse("pricing:contract_create") + f"?customer={contract.customer_id}" in text


def test_another_managers_customer_is_404(login, other_manager, customer):
    client = login(other_manager)

    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:edit", args=[customer.pk])).status_code == 404


def test_a_manager_creates_a_customer_from_the_page(login, manager):
    response = login(manager).post(
        reverse("customers:create"),
        {"legal_name": "ФОП Шевченко", "short_name": "Шевченко", "tax_id": "1234567890"},
    )

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.pk])
    assert customer.manager == manager


def test_a_bad_tax_id_is_shown_on_the_form_and_nothing_saved(login, manager):
    response = login(manager).post(
        reverse("customers:create"),
        {"legal_name": "ФОП Шевченко", "short_name": "Шевченко", "tax_id": "12-34"},
    )

    assert response.status_code == 400
    assert "tax_id_invalid" in response.text
    assert not Customer.objects.exists()


def test_the_new_customer_page_is_refused_to_an_accountant(login):
    assert (
        login(UserFactory(roles=["accountant"])).get(reverse("customers:create")).status_code == 403
    )


def test_a_manager_edits_only_contact_details(login, manager, customer):
    client = login(manager)
    page = client.get(reverse("customers:edit", args=[customer.pk]))
    assert 'name="delivery_address"' in page.text and 'name="legal_name"' not in page.text

    client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"delivery_address": "м. Дніпро", "legal_name": "Підміна", "phone": "", "email": ""},
    )

    customer.refresh_from_db()
    assert (customer.delivery_address, customer.legal_name) == ("м. Дніпро", "ТОВ «Альфа»")


def test_an_administrator_edits_every_field(login, admin_user, customer, manager):
    data = {
        "legal_name": "ТОВ «Альфа Плюс»",
        "short_name": "Альфа",
        "tax_id": customer.tax_id,
        "manager": manager.pk,
        "active": "on",
    }

    response = login(admin_user).post(reverse("customers:edit", args=[customer.pk]), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.legal_name == "ТОВ «Альфа Плюс»"


def test_contacts_are_added_edited_and_removed_from_the_card(login, manager, customer):
    client = login(manager)
    client.post(reverse("customers:contact_add", args=[customer.pk]), {"name": "Марія"})
    contact = Contact.objects.get()
    client.post(
        reverse("customers:contact_edit", args=[customer.pk, contact.pk]),
        {"name": "Марія", "phone": "+380931112233"},
    )
    contact.refresh_from_db()
    assert contact.phone == "+380931112233"

    client.post(reverse("customers:contact_delete", args=[customer.pk, contact.pk]))

    assert not Contact.objects.exists()
    card = client.get(reverse("customers:detail", args=[customer.pk])).text
    assert "customers.contact.removed" in card


def test_contacts_of_someone_elses_customer_cannot_be_touched(login, other_manager, customer):
    contact = ContactFactory(customer=customer)
    client = login(other_manager)

    assert client.get(reverse("customers:contact_add", args=[customer.pk])).status_code == 404
    response = client.post(reverse("customers:contact_delete", args=[customer.pk, contact.pk]))
    assert response.status_code == 404
    assert Contact.objects.exists()


def test_an_accountant_reads_the_card_without_edit_links(login, customer):
    ContractFactory(customer=customer)
    text = (
        login(UserFactory(roles=["accountant"]))
        .get(reverse("customers:detail", args=[customer.pk]))
        .text
    )

    assert reverse("customers:edit", args=[customer.pk]) not in text
    assert reverse("customers:contact_add", args=[customer.pk]) not in text
    assert 'id="contracts"' in text


def count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_and_api_lists_do_not_grow_queries_with_rows(login, admin_user, price_list):
    from rest_framework.test import APIClient

    from orderdesk.testing.factories import PriceListItemFactory, ProductFactory

    client = login(admin_user)
    api = APIClient()
    api.force_authenticate(admin_user)
    urls = [
        reverse("customers:list"),
        reverse("catalog:products"),
        reverse("pricing:price_lists"),
        reverse("pricing:price_list", args=[price_list.pk]),
    ]
    api_urls = [
        "/api/v1/customers/",
        "/api/v1/contracts/",
        "/api/v1/products/",
        f"/api/v1/price-lists/{price_list.pk}/items/",
        "/api/v1/payment-terms/",
        "/api/v1/sales-teams/",
        "/api/v1/price-lists/",
    ]

    def add_rows():
        for _ in range(3):
            customer = CustomerFactory()
            ContractFactory(customer=customer, price_list=price_list)
            PriceListItemFactory(price_list=price_list, product=ProductFactory())
            SalesTeamFactory().members.add(customer.manager)

    add_rows()
    for u in api_urls:  # warm up: the user's roles are read once per user object
        count_queries(api, u)
    before = [count_queries(client, u) for u in urls] + [count_queries(api, u) for u in api_urls]
    add_rows()
    add_rows()
    after = [count_queries(client, u) for u in urls] + [count_queries(api, u) for u in api_urls]

    assert after == before
