"""The order pages: they render for the roles that use them, call the services, show errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from orderdesk.audit.models import Event
from orderdesk.core.models import ExchangeRate
from orderdesk.core.navigation import menu_for
from orderdesk.core.panels import render_panels
from orderdesk.customers.models import PaymentMethod, PaymentTerms
from orderdesk.orders import services
from orderdesk.orders.models import CancellationReason, Order, OrderTemplate
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    PriceListItemFactory,
    ProductFactory,
    SalesTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def draft(manager, customer, product, quantity="2", **kwargs) -> Order:
    return services.order_create(
        by=manager,
        customer=customer,
        lines=[services.LineInput(product=product.pk, quantity=quantity)],
        **kwargs,
    )


def customer_of(manager, price_list, **kwargs):
    """A customer of `manager` with a default contract on `price_list`."""
    customer = CustomerFactory(manager=manager, **kwargs)
    ContractFactory(customer=customer, price_list=price_list)
    return customer


@pytest.fixture
def order(manager, customer, contract, product) -> Order:
    return draft(manager, customer, product)


@pytest.fixture
def client_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- pages render for the roles that use them -----------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "sales_manager",
        "sales_head",
        "credit_controller",
        "accountant",
        "administrator",
        "warehouse",
    ],
)
def test_order_list_renders_for_every_role(client_as, role, order):
    client = client_as(UserFactory(roles=[role]))
    response = client.get(reverse("orders:list"))
    assert response.status_code == 200
    assert "orders/list.html" in [t.name for t in response.templates]


def test_order_list_shows_own_orders_to_a_manager_and_not_others(
    client_as, manager, other_manager, order, product, price_list
):
    foreign = draft(other_manager, customer_of(other_manager, price_list), product)
    html = client_as(manager).get(reverse("orders:list")).content.decode()
    assert order.number in html
    assert foreign.number not in html


@pytest.mark.parametrize("role", ["sales_head", "credit_controller", "accountant", "administrator"])
def test_order_card_renders_for_roles_that_see_the_order(client_as, role, manager, order):
    user = UserFactory(roles=[role])
    if role == "sales_head":
        SalesTeamFactory(head=user).members.add(manager)
    response = client_as(user).get(reverse("orders:detail", args=[order.pk]))
    assert response.status_code == 200
    assert order.number in response.content.decode()


def test_order_card_shows_terms_lines_totals_and_actions(client_as, manager, order):
    response = client_as(manager).get(reverse("orders:detail", args=[order.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "NAIL-100" in html
    assert 'id="total-gross"' in html
    assert reverse("orders:confirm", args=[order.pk]) in html
    assert reverse("orders:line_add", args=[order.pk]) in html  # a draft is edited in place
    assert reverse("orders:close", args=[order.pk]) not in html  # not from a draft


def test_order_card_highlights_terms_that_differ_from_the_contract(
    client_as, admin_user, customer, contract, product
):
    order = draft(
        admin_user, customer, product, payment_terms=PaymentTerms.objects.get(code="net30")
    )
    response = client_as(admin_user).get(reverse("orders:detail", args=[order.pk]))
    rows = [t for t in response.context["terms"] if t["differs"]]
    assert [t["name"] for t in rows] == ["payment_terms"]
    assert rows[0]["contract_value"] == "Відстрочка 14 днів"
    assert 'class="differs"' in response.content.decode()


def test_order_card_shows_base_currency_totals_for_a_foreign_currency_order(
    client_as, admin_user, customer, contract, product
):
    ExchangeRate.objects.create(currency_id="EUR", date=dt.date(2020, 1, 1), rate=Decimal("45"))
    order = draft(admin_user, customer, product, currency="EUR")
    html = client_as(admin_user).get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert order.currency_id == "EUR"
    assert "UAH" in html and "EUR" in html
    assert "Rate: 1 EUR = 45 UAH" in html or "1 EUR = 45" in html


# --- create ---------------------------------------------------------------------------------


def test_create_page_renders_with_the_customer_terms(client_as, manager, customer, contract):
    response = client_as(manager).get(reverse("orders:create"), {"customer": customer.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["payment_terms"].value() == contract.payment_terms_id
    assert form["contract"].value() == contract.pk


def test_create_terms_fragment_follows_the_chosen_customer(client_as, manager, customer, contract):
    response = client_as(manager).get(
        reverse("orders:create_terms"), {"customer": customer.pk}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.templates[0].name == "orders/_create_terms.html"
    html = response.content.decode()
    assert "15/2026" in html  # the contract list
    assert f'<option value="{contract.payment_terms_id}" selected>' in html


def test_create_order_through_the_page_saves_an_order_with_the_contract_terms(
    client_as, manager, customer, contract, product, warehouse
):
    client = client_as(manager)
    response = client.post(
        reverse("orders:create"),
        {
            "customer": customer.pk,
            "contract": "",
            "order_date": "2026-03-02",
            "delivery_address": "Київ",
            "warehouse": warehouse.pk,
            "partial_shipment_allowed": "on",
            "lines-a1-product": product.pk,
            "lines-a1-quantity": "3",
            "lines-a1-unit_price": "",
            "lines-a1-discount_percent": "",
            "lines-b2-product": "",  # a blank row is ignored
            "lines-b2-quantity": "",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.contract == contract
    assert order.payment_terms == contract.payment_terms
    assert order.payment_method == contract.payment_method
    assert order.price_list == contract.price_list
    assert order.order_date == dt.date(2026, 3, 2)
    line = order.lines.get()
    assert (line.quantity, line.unit_price) == (Decimal("3"), Decimal("100"))
    assert order.gross_amount == Decimal("360.00")


def test_create_shows_a_refused_line_next_to_its_field_and_saves_nothing(
    client_as, manager, customer, contract, product, warehouse
):
    response = client_as(manager).post(
        reverse("orders:create"),
        {
            "customer": customer.pk,
            "warehouse": warehouse.pk,
            "lines-a1-product": product.pk,
            "lines-a1-quantity": "2",
            "lines-b2-product": product.pk,
            "lines-b2-quantity": "0",
        },
    )
    assert response.status_code == 400
    assert Order.objects.count() == 0
    rows = response.context["rows"].forms
    assert rows[1].errors["quantity"]
    assert not rows[0].errors
    assert "quantity_not_positive" in response.content.decode()  # the code, on top


def test_create_with_a_contract_of_another_customer_is_refused(
    client_as, manager, customer, contract, product, warehouse
):
    other = customer_of(manager, contract.price_list)
    response = client_as(manager).post(
        reverse("orders:create"),
        {
            "customer": other.pk,
            "contract": contract.pk,
            "warehouse": warehouse.pk,
            "lines-a1-product": product.pk,
            "lines-a1-quantity": "1",
        },
    )
    assert response.status_code == 400
    assert Order.objects.count() == 0
    assert response.context["form"].errors["contract"]


def test_line_row_and_lookups_answer_htmx(client_as, manager, customer, product):
    client = client_as(manager)
    row = client.get(reverse("orders:line_row"), headers=HTMX)
    assert row.status_code == 200 and 'name="lines-' in row.content.decode()
    products = client.get(reverse("orders:product_options"), {"q": "NAIL"}, headers=HTMX)
    assert f'value="{product.pk}"' in products.content.decode()
    foreign = CustomerFactory(short_name="Чужий")
    customers = client.get(reverse("orders:customer_options"), {"q": ""}, headers=HTMX)
    html = customers.content.decode()
    assert f'value="{customer.pk}"' in html
    assert f'value="{foreign.pk}"' not in html


# --- draft editing in place -----------------------------------------------------------------


def test_htmx_line_add_returns_the_lines_fragment_with_new_totals(client_as, manager, order):
    second = ProductFactory(sku="SCREW-5", name="Шурупи")
    PriceListItemFactory(price_list=order.price_list, product=second, price=Decimal("50"))
    response = client_as(manager).post(
        reverse("orders:line_add", args=[order.pk]),
        {"add-product": second.pk, "add-quantity": "4", "add-discount_percent": "10"},
        headers=HTMX,
    )
    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert names[0] == "orders/_lines_response.html"
    assert "base.html" not in names
    order.refresh_from_db()
    # 2 x 100 + 4 x 50 x 0.9 = 380 net, 456 gross
    assert order.gross_amount == Decimal("456.00")
    html = response.content.decode()
    assert "SCREW-5" in html
    assert "456,00" in html or "456.00" in html
    assert 'hx-swap-oob="true"' in html  # the timeline comes along


def test_htmx_line_add_refusal_shows_the_error_in_the_fragment(client_as, manager, order):
    response = client_as(manager).post(
        reverse("orders:line_add", args=[order.pk]),
        {"add-product": order.lines.get().product_id, "add-quantity": "-1"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "quantity_not_positive" in response.content.decode()
    assert response.context["add_form"].errors["quantity"]
    assert order.lines.count() == 1


def test_htmx_line_update_changes_one_field(client_as, manager, order):
    line = order.lines.get()
    response = client_as(manager).post(
        reverse("orders:line_update", args=[order.pk, line.pk]), {"quantity": "5"}, headers=HTMX
    )
    assert response.status_code == 200
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity == Decimal("5")
    assert line.unit_price == Decimal("100")
    assert order.net_amount == Decimal("500.00")


def test_htmx_line_update_accepts_a_decimal_comma(client_as, manager, order, settings):
    settings.LANGUAGE_CODE = "uk"  # a Ukrainian user writes 2,5
    line = order.lines.get()
    client_as(manager).post(
        reverse("orders:line_update", args=[order.pk, line.pk]), {"quantity": "2,5"}, headers=HTMX
    )
    line.refresh_from_db()
    assert line.quantity == Decimal("2.5")


def test_htmx_line_remove_and_plain_post_falls_back_to_the_card(client_as, manager, order):
    line = order.lines.get()
    response = client_as(manager).post(reverse("orders:line_remove", args=[order.pk, line.pk]))
    assert response.status_code == 302
    assert order.lines.count() == 0


def test_line_schedule_is_saved(client_as, manager, order):
    line = order.lines.get()
    client = client_as(manager)
    response = client.post(
        reverse("orders:line_schedule", args=[order.pk, line.pk]),
        {"schedule_date": ["2026-04-01", "2026-04-15", ""], "schedule_quantity": ["1", "1", ""]},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert [(e.date.day, e.quantity) for e in line.schedule.all()] == [
        (1, Decimal("1")),
        (15, Decimal("1")),
    ]
    too_much = client.post(
        reverse("orders:line_schedule", args=[order.pk, line.pk]),
        {"schedule_date": ["2026-04-01"], "schedule_quantity": ["9"]},
        headers=HTMX,
    )
    assert too_much.status_code == 400
    assert "schedule_exceeds_quantity" in too_much.content.decode()


def test_header_update_changes_the_draft_terms(client_as, admin_user, customer, contract, product):
    order = draft(admin_user, customer, product)
    client = client_as(admin_user)
    page = client.get(reverse("orders:detail", args=[order.pk]))
    data = {
        k: ("" if v is None else v)
        for k, v in page.context["header_form"].initial.items()
        if k != "partial_shipment_allowed"
    }
    data.update(
        payment_method=PaymentMethod.objects.get(code="cash").pk,
        order_date=order.order_date.isoformat(),
        partial_shipment_allowed="on",
    )
    response = client.post(reverse("orders:update", args=[order.pk]), data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.payment_method.code == "cash"


def test_the_timeline_shows_who_what_and_before_after(client_as, manager, order):
    line = order.lines.get()
    services.order_line_update(by=manager, order=order.pk, line_id=line.pk, quantity="7")
    response = client_as(manager).get(reverse("orders:detail", args=[order.pk]))
    entries = response.context["timeline"]
    assert [e["label"] for e in entries[:2]] == ["Order changed", "Line changed"]
    changed = entries[1]
    quantity = next(c for c in changed["changes"] if c["name"] == "quantity")
    assert (quantity["before"], quantity["after"]) == ("2", "7")
    assert changed["who"] == (manager.get_full_name() or manager.username)
    assert [e["label"] for e in entries][-2:] == ["Line added", "Order created"]
    html = response.content.decode()
    assert "<del>2</del>" in html and "<ins>7</ins>" in html


# --- lifecycle actions ----------------------------------------------------------------------


def test_confirm_then_amend_then_close(client_as, manager, order, product):
    client = client_as(manager)
    assert client.post(reverse("orders:confirm", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == "confirmed"

    line = order.lines.get()
    page = client.get(reverse("orders:amend", args=[order.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("orders:amend", args=[order.pk]),
        {
            "reason": "Клієнт збільшив замовлення",
            f"line-{line.pk}-quantity": "6",
            f"line-{line.pk}-unit_price": "100",
            f"line-{line.pk}-discount_percent": "0",
            "lines-n1-product": product.pk,
            "lines-n1-quantity": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order.refresh_from_db()
    assert order.revision == 1
    assert sorted(li.quantity for li in order.lines.all()) == [Decimal("1"), Decimal("6")]
    assert Event.objects.filter(action="orders.order.amended").count() == 1

    assert client.post(reverse("orders:close", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == "closed"


def test_amendment_without_a_reason_is_shown_on_the_form(client_as, manager, order):
    services.order_confirm(by=manager, order=order.pk)
    line = order.lines.get()
    response = client_as(manager).post(
        reverse("orders:amend", args=[order.pk]), {"reason": "", f"line-{line.pk}-quantity": "9"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    line.refresh_from_db()
    assert line.quantity == Decimal("2")


def test_cancel_needs_a_reason_from_the_catalogue(client_as, manager, order):
    client = client_as(manager)
    refused = client.post(reverse("orders:cancel", args=[order.pk]), {"reason": ""})
    assert refused.status_code == 400
    assert "cancel_reason_required" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == "draft"
    reason = CancellationReason.objects.get(code="duplicate")
    done = client.post(reverse("orders:cancel", args=[order.pk]), {"reason": reason.pk})
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", reason)


def test_copy_makes_a_new_draft(client_as, manager, order):
    response = client_as(manager).post(reverse("orders:copy", args=[order.pk]))
    copy = Order.objects.exclude(pk=order.pk).get()
    assert response["Location"] == reverse("orders:detail", args=[copy.pk])
    assert copy.lines.count() == 1


def test_confirming_an_empty_order_shows_the_reason(
    client_as, manager, customer, contract, warehouse
):
    empty = services.order_create(by=manager, customer=customer)
    response = client_as(manager).post(reverse("orders:confirm", args=[empty.pk]))
    assert response.status_code == 400
    assert "order_empty" in response.content.decode()


# --- templates ------------------------------------------------------------------------------


def test_template_from_order_list_use_and_delete(client_as, manager, order, customer):
    client = client_as(manager)
    saved = client.post(
        reverse("orders:save_template", args=[order.pk]), {"name": "Щотижневе", "shared": "on"}
    )
    assert saved.status_code == 302
    template = OrderTemplate.objects.get()
    assert template.shared and template.lines.count() == 1

    listing = client.get(reverse("orders:templates"))
    assert listing.status_code == 200 and "Щотижневе" in listing.content.decode()

    use = client.get(reverse("orders:template_use", args=[template.pk]))
    assert use.status_code == 200
    created = client.post(
        reverse("orders:template_use", args=[template.pk]), {"customer": customer.pk}
    )
    new = Order.objects.exclude(pk=order.pk).get()
    assert created["Location"] == reverse("orders:detail", args=[new.pk])
    assert new.lines.get().quantity == Decimal("2")

    assert client.post(reverse("orders:template_delete", args=[template.pk])).status_code == 302
    assert not OrderTemplate.objects.exists()


def test_templates_list_shows_shared_templates_of_others(client_as, manager, other_manager, order):
    services.template_from_order(by=manager, order=order, name="Спільний", shared=True)
    services.template_from_order(by=manager, order=order, name="Мій власний")
    html = client_as(other_manager).get(reverse("orders:templates")).content.decode()
    assert "Спільний" in html
    assert "Мій власний" not in html


def test_only_the_owner_deletes_a_template(client_as, manager, other_manager, order):
    template = services.template_from_order(by=manager, order=order, name="Спільний", shared=True)
    response = client_as(other_manager).post(reverse("orders:template_delete", args=[template.pk]))
    assert response.status_code == 403
    assert OrderTemplate.objects.filter(pk=template.pk).exists()


# --- the list: filters and query count ------------------------------------------------------


def test_list_filters_by_status_and_text(client_as, manager, customer, contract, product):
    first = draft(manager, customer, product)
    second = draft(manager, customer, product)
    services.order_confirm(by=manager, order=second.pk)
    client = client_as(manager)
    page = client.get(reverse("orders:list"), {"status": "confirmed"})
    assert [o.pk for o in page.context["page"].object_list] == [second.pk]
    found = client.get(reverse("orders:list"), {"q": first.number}, headers=HTMX)
    assert found.templates[0].name == "orders/_list_results.html"
    assert [o.pk for o in found.context["page"].object_list] == [first.pk]


def test_list_shows_a_reversed_date_range_as_a_message(client_as, manager, order):
    response = client_as(manager).get(
        reverse("orders:list"), {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "date_range_reversed" in html
    assert order.number not in html


def test_list_page_query_count_does_not_grow_with_orders(
    client_as, django_assert_max_num_queries, manager, customer, contract, product, price_list
):
    team_head = UserFactory(roles=["sales_head"])
    SalesTeamFactory(head=team_head).members.add(manager)
    customers = [customer] + [customer_of(manager, price_list) for _ in range(4)]
    for i in range(30):
        draft(manager, customers[i % 5], product)
    client = client_as(team_head)
    client.get(reverse("orders:list"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:list"))
    assert len(response.context["page"].object_list) == 30


# --- shared places --------------------------------------------------------------------------


def test_navigation_has_orders_and_templates(rf, manager, warehouse):
    request = rf.get("/orders/")
    request.user = manager
    labels = [item["label"] for item in menu_for(request)]
    assert "Orders" in labels and "Templates" in labels
    request.user = UserFactory(roles=["warehouse"])
    labels = [item["label"] for item in menu_for(request)]
    assert "Orders" in labels and "Templates" not in labels


def test_customer_card_panel_lists_orders_and_offers_a_new_one(rf, manager, customer, order):
    request = rf.get("/")
    request.user = manager
    html = render_panels("customer_card", request, customer)
    assert order.number in html
    assert f"{reverse('orders:create')}?customer={customer.pk}" in html


def test_customer_card_panel_is_hidden_from_who_neither_sees_nor_sells(rf, customer, order):
    request = rf.get("/")
    request.user = UserFactory(roles=["warehouse"])
    assert order.number not in render_panels("customer_card", request, customer)
