"""Who may open and do what on the order pages: login, 404 outside the scope, 403 for refusals,
disabled term fields and forged values refused by the service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orderdesk.customers.models import PaymentTerms
from orderdesk.orders import services
from orderdesk.orders.models import Order, TermRight
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    SalesTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def order(manager, customer, contract, product) -> Order:
    return services.order_create(
        by=manager,
        customer=customer,
        lines=[services.LineInput(product=product.pk, quantity="2")],
    )


@pytest.fixture
def foreign_order(other_manager, price_list, product, warehouse) -> Order:
    """An order of another manager's customer."""
    customer = CustomerFactory(manager=other_manager, short_name="Бета")
    ContractFactory(customer=customer, price_list=price_list)
    return services.order_create(
        by=other_manager,
        customer=customer,
        lines=[services.LineInput(product=product.pk, quantity="1")],
    )


def order_urls(order: Order) -> list[tuple[str, str]]:
    line = order.lines.first()
    return [
        ("get", reverse("orders:detail", args=[order.pk])),
        ("get", reverse("orders:amend", args=[order.pk])),
        ("post", reverse("orders:update", args=[order.pk])),
        ("post", reverse("orders:line_add", args=[order.pk])),
        ("post", reverse("orders:line_update", args=[order.pk, line.pk])),
        ("post", reverse("orders:line_remove", args=[order.pk, line.pk])),
        ("post", reverse("orders:line_schedule", args=[order.pk, line.pk])),
        ("post", reverse("orders:confirm", args=[order.pk])),
        ("post", reverse("orders:cancel", args=[order.pk])),
        ("post", reverse("orders:close", args=[order.pk])),
        ("post", reverse("orders:copy", args=[order.pk])),
        ("post", reverse("orders:save_template", args=[order.pk])),
    ]


def test_every_page_needs_a_login(client, order):
    urls = [
        ("get", reverse("orders:list")),
        ("get", reverse("orders:create")),
        ("get", reverse("orders:create_terms")),
        ("get", reverse("orders:line_row")),
        ("get", reverse("orders:customer_options")),
        ("get", reverse("orders:product_options")),
        ("get", reverse("orders:templates")),
        ("get", reverse("orders:template_use", args=[1])),
        ("post", reverse("orders:template_delete", args=[1])),
        *order_urls(order),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_an_order_of_another_managers_customer_is_not_found(client, manager, foreign_order):
    client.force_login(manager)
    before = Order.objects.get(pk=foreign_order.pk)
    for method, url in order_urls(foreign_order):
        response = getattr(client, method)(url, {"quantity": "9", "add-quantity": "1"})
        assert response.status_code == 404, url
    after = Order.objects.get(pk=foreign_order.pk)
    assert (after.status, after.gross_amount) == (before.status, before.gross_amount)
    assert Order.objects.count() == 1  # no copy was made


def test_a_head_sees_the_team_order_but_not_another_team(client, manager, order, foreign_order):
    head = UserFactory(roles=["sales_head"])
    SalesTeamFactory(head=head).members.add(manager)
    client.force_login(head)
    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 200
    assert client.get(reverse("orders:detail", args=[foreign_order.pk])).status_code == 404


def test_the_warehouse_does_not_see_an_unreleased_order(client, order):
    client.force_login(UserFactory(roles=["warehouse"]))
    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 404


def test_an_action_the_user_may_not_do_is_a_403_page(client, order):
    accountant = UserFactory(roles=["accountant"])  # sees every order, sells to nobody
    client.force_login(accountant)
    card = client.get(reverse("orders:detail", args=[order.pk]))
    assert card.status_code == 200
    assert reverse("orders:confirm", args=[order.pk]) not in card.content.decode()
    response = client.post(reverse("orders:confirm", args=[order.pk]))
    assert response.status_code == 403
    assert "order_not_permitted" in response.content.decode()
    line = order.lines.get()
    htmx = client.post(
        reverse("orders:line_update", args=[order.pk, line.pk]), {"quantity": "9"}, headers=HTMX
    )
    assert htmx.status_code == 403
    assert "order_not_permitted" in htmx.content.decode()
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, line.quantity) == ("draft", Decimal("2"))


def test_users_who_do_not_sell_get_403_on_the_create_page(client):
    client.force_login(UserFactory(roles=["warehouse"]))
    response = client.get(reverse("orders:create"))
    assert response.status_code == 403
    assert "orders/403.html" in [t.name for t in response.templates]


def test_editing_a_confirmed_order_in_place_is_a_conflict(client, manager, order):
    services.order_confirm(by=manager, order=order.pk)
    client.force_login(manager)
    line = order.lines.get()
    response = client.post(
        reverse("orders:line_update", args=[order.pk, line.pk]), {"quantity": "9"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "order_not_editable" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == Decimal("2")


def test_a_manager_cannot_pick_another_managers_customer(
    client, manager, other_manager, price_list, product, warehouse
):
    theirs = CustomerFactory(manager=other_manager)
    ContractFactory(customer=theirs, price_list=price_list)
    client.force_login(manager)
    response = client.post(
        reverse("orders:create"),
        {
            "customer": theirs.pk,
            "warehouse": warehouse.pk,
            "lines-a-product": product.pk,
            "lines-a-quantity": "1",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["customer"]
    assert not Order.objects.exists()
    options = client.get(reverse("orders:customer_options"), {"q": theirs.short_name})
    assert f'value="{theirs.pk}"' not in options.content.decode()


# --- rights on terms ------------------------------------------------------------------------


def test_a_manager_without_the_payment_terms_right_sees_the_field_disabled(
    client, manager, customer, contract, order
):
    client.force_login(manager)
    create = client.get(reverse("orders:create"), {"customer": customer.pk})
    form = create.context["form"]
    assert "payment_terms" in form.locked
    assert "payment_method" in form.locked
    assert "delivery_terms" not in form.locked  # the default matrix gives managers this one
    html = create.content.decode()
    assert '<select name="payment_terms"' in html
    field_html = str(form["payment_terms"])
    assert "disabled" in field_html
    assert "disabled" not in str(form["delivery_terms"])

    card = client.get(reverse("orders:detail", args=[order.pk]))
    assert "disabled" in str(card.context["header_form"]["payment_terms"])


def test_a_head_with_the_right_gets_the_field_enabled(client, manager, customer, contract):
    head = UserFactory(roles=["sales_head"])
    SalesTeamFactory(head=head).members.add(manager)
    client.force_login(head)
    form = client.get(reverse("orders:create"), {"customer": customer.pk}).context["form"]
    assert "payment_terms" not in form.locked
    assert "disabled" not in str(form["payment_terms"])


def test_a_forged_payment_term_on_create_is_refused_and_nothing_saved(
    client, manager, customer, contract, product, warehouse
):
    client.force_login(manager)
    other_terms = PaymentTerms.objects.get(code="net30")
    assert contract.payment_terms != other_terms
    response = client.post(
        reverse("orders:create"),
        {
            "customer": customer.pk,
            "warehouse": warehouse.pk,
            "payment_terms": other_terms.pk,  # the field was disabled on the page
            "lines-a-product": product.pk,
            "lines-a-quantity": "1",
        },
    )
    assert response.status_code == 403
    assert "term_change_forbidden" in response.content.decode()
    assert response.context["form"].errors["payment_terms"]
    assert not Order.objects.exists()


def test_a_forged_payment_term_on_a_draft_is_refused_and_not_saved(client, manager, order):
    client.force_login(manager)
    original = order.payment_terms
    response = client.post(
        reverse("orders:update", args=[order.pk]),
        {
            "payment_terms": PaymentTerms.objects.get(code="prepay100").pk,
            "warehouse": order.warehouse_id,
            "partial_shipment_allowed": "on",
        },
    )
    assert response.status_code == 403
    assert "term_change_forbidden" in response.content.decode()
    order.refresh_from_db()
    assert order.payment_terms == original


def test_a_disabled_term_left_out_keeps_the_contract_value(
    client, manager, customer, contract, product, warehouse
):
    """What a browser sends: the disabled fields are simply missing."""
    client.force_login(manager)
    response = client.post(
        reverse("orders:create"),
        {
            "customer": customer.pk,
            "warehouse": warehouse.pk,
            "delivery_terms": "EXW Київ",
            "lines-a-product": product.pk,
            "lines-a-quantity": "1",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.payment_terms == contract.payment_terms
    assert order.delivery_terms == "EXW Київ"


def test_without_the_price_right_a_forged_line_price_is_refused(client, manager, order):
    TermRight.objects.filter(role="sales_manager", term="price").delete()
    client.force_login(manager)
    card = client.get(reverse("orders:detail", args=[order.pk]))
    line = order.lines.get()
    assert f'id="line-{line.pk}-unit_price"' in card.content.decode()
    assert not card.context["may_price"]
    response = client.post(
        reverse("orders:line_update", args=[order.pk, line.pk]),
        {"unit_price": "1"},
        headers=HTMX,
    )
    assert response.status_code == 403
    assert "term_change_forbidden" in response.content.decode()
    line.refresh_from_db()
    assert line.unit_price == Decimal("100")
