"""Orders REST API: contract terms, exact totals, refusals with stable codes, scoping, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orderdesk.audit.models import Event
from orderdesk.core.models import IdempotencyRecord
from orderdesk.core.services import exchange_rate_set
from orderdesk.customers.models import PaymentMethod, PaymentTerms
from orderdesk.orders import services
from orderdesk.orders.models import (
    Amendment,
    DeliveryScheduleEntry,
    Order,
    OrderLine,
    OrderTemplate,
)
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    PriceListItemFactory,
    ProductFactory,
    SalesTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def order_url(pk, tail=""):
    return f"{ORDERS}{pk}/{tail}"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def saved_state() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "schedule": DeliveryScheduleEntry.objects.count(),
        "amendments": Amendment.objects.count(),
        "events": Event.objects.count(),
        "templates": OrderTemplate.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == code, body
    assert body["detail"]
    return body


def make_order(user, customer, product, quantity="3", **header) -> Order:
    return services.order_create(
        by=user,
        customer=customer,
        lines=[services.LineInput(product=product.pk, quantity=Decimal(quantity))],
        **header,
    )


@pytest.fixture
def api(manager):
    return client_for(manager)


@pytest.fixture
def draft(manager, customer, contract, product):
    return make_order(manager, customer, product)


@pytest.fixture
def confirmed(manager, draft):
    return services.order_confirm(by=manager, order=draft)


# --- create ------------------------------------------------------------------------------------


def test_create_fills_the_header_from_the_customers_contract(api, customer, contract, product):
    response = api.post(
        ORDERS, {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": "3"}]}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(pk=body["id"])
    assert body["status"] == "draft"
    assert body["number"] == order.number
    assert body["customer"] == {"id": customer.pk, "name": "Альфа"}
    assert body["contract"]["id"] == contract.pk
    assert body["currency"] == contract.currency_id == "UAH"
    assert body["price_list"]["id"] == contract.price_list_id
    assert body["payment_terms"] == {"id": contract.payment_terms_id, "name": "Відстрочка 14 днів"}
    assert body["payment_method"]["id"] == contract.payment_method_id
    assert body["delivery_address"] == customer.delivery_address
    assert body["manager"]["id"] == customer.manager_id
    assert body["warehouse"]["name"] == "Основний склад"
    assert body["differences_from_contract"] == {}
    assert sorted(body["allowed_actions"]) == ["cancel", "confirm", "edit", "submit"]
    [line] = body["lines"]
    assert line["product"] == {"id": product.pk, "sku": "NAIL-100", "name": "Цвяхи 100 мм"}
    assert line["quantity"] == "3.000"
    assert line["unit_price"] == line["list_price"] == "100.0000"
    assert "Wholesale" in line["price_source"]
    assert line["vat_rate"] == "20.00"
    assert body["totals"] == {
        "currency": "UAH",
        "net_amount": "300.00",
        "vat_amount": "60.00",
        "gross_amount": "360.00",
    }
    assert body["base_totals"]["gross_amount"] == "360.00"
    assert order.payment_terms_id == contract.payment_terms_id
    assert order.gross_amount == Decimal("360.00")


def test_create_totals_are_exact_decimals_rounded_per_line(api, customer, contract, product):
    other = ProductFactory(sku="SCREW", name="Шуруп")
    PriceListItemFactory(price_list=contract.price_list, product=other, price=Decimal("10"))

    response = api.post(
        ORDERS,
        {
            "customer": customer.pk,
            "lines": [
                {
                    "product": product.pk,
                    "quantity": "2.5",
                    "unit_price": "33.3333",
                    "discount_percent": "7.5",
                },
                {"product": other.pk, "quantity": 0.333},
            ],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    # 2.5 x 33.3333 x 0.925 = 77.08325625 -> 77.08; VAT 15.416 -> 15.42
    # 0.333 x 10 = 3.33; VAT 0.666 -> 0.67
    assert [(li["net_amount"], li["vat_amount"], li["gross_amount"]) for li in body["lines"]] == [
        ("77.08", "15.42", "92.50"),
        ("3.33", "0.67", "4.00"),
    ]
    assert body["lines"][0]["price_source"] != body["lines"][1]["price_source"]
    assert body["totals"]["net_amount"] == "80.41"
    assert body["totals"]["vat_amount"] == "16.09"
    assert body["totals"]["gross_amount"] == "96.50"
    order = Order.objects.get(pk=body["id"])
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (
        Decimal("80.41"),
        Decimal("16.09"),
        Decimal("96.50"),
    )


def test_create_in_a_foreign_currency_gives_base_totals_at_the_rate(head, product, price_list):
    customer = CustomerFactory(manager=head)
    ContractFactory(customer=customer, price_list=price_list)
    exchange_rate_set(currency="EUR", date=dt.date(2026, 3, 1), rate=Decimal("41.5"))

    response = client_for(head).post(
        ORDERS,
        {
            "customer": customer.pk,
            "order_date": "2026-03-02",
            "currency": "EUR",
            "lines": [{"product": product.pk, "quantity": "3", "unit_price": "12.3456"}],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["differences_from_contract"] == {"currency": {"contract": "UAH", "order": "EUR"}}
    assert body["totals"] == {
        "currency": "EUR",
        "net_amount": "37.04",
        "vat_amount": "7.41",
        "gross_amount": "44.45",
    }
    # 37.04 x 41.5 = 1537.16; 7.41 x 41.5 = 307.515 -> 307.52 (half up)
    assert body["base_totals"] == {
        "currency": "UAH",
        "exchange_rate": "41.500000",
        "net_amount": "1537.16",
        "vat_amount": "307.52",
        "gross_amount": "1844.68",
    }


def test_create_passes_on_only_the_fields_sent(api, customer, contract, product):
    """Same value as the contract is no change; delivery terms are the manager's right."""
    response = api.post(
        ORDERS,
        {
            "customer": customer.pk,
            "payment_terms": contract.payment_terms_id,
            "delivery_terms": "DAP Київ",
            "requested_delivery_date": "2026-05-01",
            "partial_shipment_allowed": False,
            "customer_reference": "PO-77",
            "lines": [
                {
                    "product": product.pk,
                    "quantity": "10",
                    "requested_delivery_date": "2026-05-10",
                    "schedule": [
                        {"date": "2026-05-10", "quantity": "4"},
                        {"date": "2026-05-20", "quantity": "6"},
                    ],
                }
            ],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["payment_method"]["id"] == contract.payment_method_id
    assert body["delivery_terms"] == "DAP Київ"
    assert body["differences_from_contract"] == {
        "delivery_terms": {"contract": "", "order": "DAP Київ"}
    }
    assert body["partial_shipment_allowed"] is False
    assert body["requested_delivery_date"] == "2026-05-01"
    assert body["lines"][0]["schedule"] == [
        {"date": "2026-05-10", "quantity": "4.000"},
        {"date": "2026-05-20", "quantity": "6.000"},
    ]


def test_manager_changing_payment_terms_is_refused_and_nothing_saved(
    api, customer, contract, product
):
    other_terms = PaymentTerms.objects.get(code="prepay100")
    before = saved_state()

    response = api.post(
        ORDERS,
        {
            "customer": customer.pk,
            "payment_terms": other_terms.pk,
            "lines": [{"product": product.pk, "quantity": "1"}],
        },
    )

    body = assert_refused(response, 403, "term_change_forbidden")
    assert "payment_terms" in body["fields"]
    assert saved_state() == before


def test_head_may_change_payment_terms(head, product, price_list):
    customer = CustomerFactory(manager=head)
    ContractFactory(customer=customer, price_list=price_list)
    cash = PaymentMethod.objects.get(code="cash")

    response = client_for(head).post(
        ORDERS,
        {
            "customer": customer.pk,
            "payment_method": cash.pk,
            "lines": [{"product": product.pk, "quantity": "1"}],
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["differences_from_contract"]["payment_method"]["order"] == cash.name


# --- bad input: 4xx, a stable code, nothing saved ---------------------------------------------


def test_bad_customer_is_refused(api, customer, contract, product):
    inactive = CustomerFactory(manager=customer.manager, active=False)
    stranger = CustomerFactory()
    line = [{"product": product.pk, "quantity": "1"}]
    before = saved_state()

    assert_refused(api.post(ORDERS, {"customer": 999999, "lines": line}), 400, "customer_unknown")
    assert_refused(
        api.post(ORDERS, {"customer": inactive.pk, "lines": line}), 400, "customer_inactive"
    )
    assert_refused(
        api.post(ORDERS, {"customer": stranger.pk, "lines": line}), 403, "customer_not_permitted"
    )
    body = assert_refused(api.post(ORDERS, {"lines": line}), 400, "validation_error")
    assert body["fields"]["customer"][0]["code"] == "required"
    assert saved_state() == before


def test_bad_product_is_refused(api, customer, contract, product):
    inactive = ProductFactory(active=False)
    unpriced = ProductFactory()
    before = saved_state()

    def create(product_id):
        return api.post(
            ORDERS,
            {
                "customer": customer.pk,
                "lines": [
                    {"product": product.pk, "quantity": "1"},
                    {"product": product_id, "quantity": "1"},
                ],
            },
        )

    body = assert_refused(create(999999), 400, "product_unknown")
    assert "lines[1].product" in body["fields"]
    assert_refused(create(inactive.pk), 400, "product_inactive")
    assert_refused(create(unpriced.pk), 400, "price_not_found")
    assert saved_state() == before


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        ({"quantity": "0"}, "quantity_not_positive", "lines[0].quantity"),
        ({"quantity": "-2"}, "quantity_not_positive", "lines[0].quantity"),
        ({"quantity": "1", "discount_percent": "100.01"}, "discount_out_of_range", None),
        ({"quantity": "1", "discount_percent": "-0.5"}, "discount_out_of_range", None),
        ({"quantity": "1", "unit_price": "-1"}, "price_negative", None),
        (
            {"quantity": "5", "schedule": [{"date": "2026-05-01", "quantity": "6"}]},
            "schedule_exceeds_quantity",
            None,
        ),
    ],
)
def test_bad_line_values_are_refused_with_their_code(
    api, customer, contract, product, line, code, field
):
    before = saved_state()

    response = api.post(
        ORDERS, {"customer": customer.pk, "lines": [{"product": product.pk, **line}]}
    )

    body = assert_refused(response, 400, code)
    if field:
        assert field in body["fields"]
    assert saved_state() == before


@pytest.mark.parametrize(
    ("line", "field", "field_code"),
    [
        ({"quantity": "1.0001"}, "lines[0].quantity", "max_decimal_places"),
        ({"quantity": "1234567890123456"}, "lines[0].quantity", "max_whole_digits"),
        ({"quantity": "1", "unit_price": "9.12345"}, "lines[0].unit_price", "max_decimal_places"),
        ({"quantity": "1", "discount_percent": "5.125"}, "lines[0].discount_percent", None),
        ({"quantity": "1", "discount_percent": "1000"}, "lines[0].discount_percent", None),
        ({"quantity": "lots"}, "lines[0].quantity", "invalid"),
        ({"quantity": "NaN"}, "lines[0].quantity", "invalid"),
        ({"quantity": "1", "colour": "red"}, "lines[0].colour", "unknown_field"),
        ({"quantity": "1", "requested_delivery_date": "31.12.2026"}, None, "invalid"),
    ],
)
def test_malformed_numbers_and_fields_are_refused_by_shape(
    api, customer, contract, product, line, field, field_code
):
    before = saved_state()

    response = api.post(
        ORDERS, {"customer": customer.pk, "lines": [{"product": product.pk, **line}]}
    )

    body = assert_refused(response, 400, "validation_error")
    if field:
        assert field in body["fields"], body
        if field_code:
            assert body["fields"][field][0]["code"] == field_code
    else:
        assert body["fields"]["lines[0].requested_delivery_date"][0]["code"] == field_code
    assert saved_state() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"lines": "many"},
        {"lines": [5]},
        {"customer": "abc"},
        {"customer": 2**70},
        {"status": "confirmed"},
        {"customer_reference": "x" * 65},
        {"delivery_address": "nul\x00byte"},
    ],
)
def test_wrong_types_and_unknown_keys_are_refused(api, customer, contract, payload):
    before = saved_state()

    response = api.post(ORDERS, {"customer": customer.pk, **payload})

    assert_refused(response, 400, "validation_error")
    assert saved_state() == before


def test_body_that_is_not_json_is_refused(api, customer):
    before = saved_state()

    broken = api.post(ORDERS, "{not json", content_type="application/json")
    form = api.post(ORDERS, {"customer": customer.pk}, format="multipart")

    assert_refused(broken, 400, "parse_error")
    assert_refused(form, 415, "unsupported_media_type")
    assert saved_state() == before


def test_currency_without_a_rate_for_the_date_is_refused(head, product, price_list):
    customer = CustomerFactory(manager=head)
    ContractFactory(customer=customer, price_list=price_list)
    before = saved_state()

    response = client_for(head).post(
        ORDERS,
        {
            "customer": customer.pk,
            "currency": "USD",
            "lines": [{"product": product.pk, "quantity": "1", "unit_price": "5"}],
        },
    )
    unknown = client_for(head).post(ORDERS, {"customer": customer.pk, "currency": "XXX"})

    assert_refused(response, 400, "exchange_rate_missing")
    assert_refused(unknown, 400, "currency_unknown")
    assert saved_state() == before


def test_contract_of_another_customer_or_out_of_validity_is_refused(
    api, manager, customer, contract, product
):
    foreign = ContractFactory(customer=CustomerFactory(manager=manager))
    expired = ContractFactory(
        customer=customer,
        number="1/2020",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2020, 12, 31),
        is_default=False,
    )
    inactive = ContractFactory(customer=customer, number="2/2026", is_default=False, active=False)
    line = [{"product": product.pk, "quantity": "1"}]
    before = saved_state()

    def create(contract_id):
        return api.post(ORDERS, {"customer": customer.pk, "contract": contract_id, "lines": line})

    assert_refused(create(foreign.pk), 400, "contract_wrong_customer")
    assert_refused(create(expired.pk), 400, "contract_not_valid")
    assert_refused(create(inactive.pk), 400, "contract_inactive")
    assert_refused(create(999999), 400, "contract_unknown")
    assert saved_state() == before


def test_editing_a_confirmed_order_is_refused(api, confirmed, product):
    line = confirmed.lines.get()
    before = saved_state()

    assert_refused(api.patch(order_url(confirmed.pk), {"comment": "x"}), 409, "order_not_editable")
    assert_refused(
        api.post(order_url(confirmed.pk, "lines/"), {"product": product.pk, "quantity": "1"}),
        409,
        "order_not_editable",
    )
    assert_refused(
        api.patch(order_url(confirmed.pk, f"lines/{line.pk}/"), {"quantity": "9"}),
        409,
        "order_not_editable",
    )
    assert_refused(
        api.delete(order_url(confirmed.pk, f"lines/{line.pk}/")), 409, "order_not_editable"
    )
    assert_refused(api.post(order_url(confirmed.pk, "confirm/")), 409, "invalid_transition")
    assert saved_state() == before


# --- permissions -------------------------------------------------------------------------------


def test_manager_sees_and_edits_only_own_customers_orders(
    api, other_manager, draft, product, price_list
):
    stranger_customer = CustomerFactory(manager=other_manager)
    ContractFactory(customer=stranger_customer, price_list=price_list)
    foreign = make_order(other_manager, stranger_customer, product)
    foreign_line = foreign.lines.get()
    before = saved_state()

    listed = api.get(ORDERS).json()
    assert [o["id"] for o in listed["results"]] == [draft.pk]

    assert_refused(api.get(order_url(foreign.pk)), 404, "order_not_found")
    assert_refused(api.patch(order_url(foreign.pk), {"comment": "mine"}), 404, "order_not_found")
    assert_refused(
        api.post(order_url(foreign.pk, "lines/"), {"product": product.pk, "quantity": "1"}),
        404,
        "order_not_found",
    )
    assert_refused(
        api.patch(order_url(foreign.pk, f"lines/{foreign_line.pk}/"), {"quantity": "1"}),
        404,
        "order_not_found",
    )
    for tail in ("confirm/", "close/", "copy/", "save-as-template/"):
        assert_refused(api.post(order_url(foreign.pk, tail), {}), 404, "order_not_found")
    assert_refused(
        api.post(order_url(foreign.pk, "cancel/"), {"reason": "duplicate"}), 404, "order_not_found"
    )
    assert_refused(
        api.post(order_url(foreign.pk, "amendments/"), {"reason": "x"}), 404, "order_not_found"
    )
    assert_refused(api.get(order_url(foreign.pk, "timeline/")), 404, "order_not_found")
    assert_refused(api.get(order_url(987654321)), 404, "order_not_found")
    assert saved_state() == before


def test_head_sees_the_teams_orders_only(head, manager, other_manager, draft, product, price_list):
    team = SalesTeamFactory(head=head)
    team.members.add(manager)
    stranger_customer = CustomerFactory(manager=other_manager)
    ContractFactory(customer=stranger_customer, price_list=price_list)
    foreign = make_order(other_manager, stranger_customer, product)
    client = client_for(head)

    listed = client.get(ORDERS).json()
    detail = client.get(order_url(draft.pk))

    assert [o["id"] for o in listed["results"]] == [draft.pk]
    assert detail.status_code == 200
    assert "confirm" in detail.json()["allowed_actions"]
    assert_refused(client.get(order_url(foreign.pk)), 404, "order_not_found")


def test_warehouse_sees_no_order_that_is_not_released(confirmed):
    # the warehouse releases a confirmed order in the confirming transaction: take it back
    Order.objects.filter(pk=confirmed.pk).update(fulfillment_status="not_released")
    client = client_for(UserFactory(roles=["warehouse"]))

    assert client.get(ORDERS).json()["count"] == 0
    assert_refused(client.get(order_url(confirmed.pk)), 404, "order_not_found")
    assert_refused(client.post(order_url(confirmed.pk, "close/")), 404, "order_not_found")


def test_accountant_sees_an_order_but_may_not_change_it(draft):
    client = client_for(UserFactory(roles=["accountant"]))
    before = saved_state()

    detail = client.get(order_url(draft.pk))

    assert detail.status_code == 200
    assert detail.json()["allowed_actions"] == []
    assert_refused(client.post(order_url(draft.pk, "confirm/")), 403, "order_not_permitted")
    assert saved_state() == before


def test_anonymous_is_refused(draft, customer):
    client = APIClient()
    before = saved_state()

    assert_refused(client.get(ORDERS), 401, "not_authenticated")
    assert_refused(client.get(order_url(draft.pk)), 401, "not_authenticated")
    assert_refused(client.post(ORDERS, {"customer": customer.pk}), 401, "not_authenticated")
    assert_refused(client.get("/api/v1/cancellation-reasons/"), 401, "not_authenticated")
    assert saved_state() == before


def test_token_authentication_header_works(manager, draft):
    call_command("drf_create_token", manager.username)
    token = Token.objects.get(user=manager)
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    good = client.get(order_url(draft.pk))
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    bad = client.get(order_url(draft.pk))

    assert good.status_code == 200
    assert good.json()["number"] == draft.number
    assert_refused(bad, 401, "authentication_failed")


# --- edit, lines, history ----------------------------------------------------------------------


def test_patch_changes_the_header_of_a_draft(api, draft):
    response = api.patch(
        order_url(draft.pk),
        {"customer_reference": "PO-1", "requested_delivery_date": "2026-06-01"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["customer_reference"] == "PO-1"
    draft.refresh_from_db()
    assert draft.customer_reference == "PO-1"
    assert draft.requested_delivery_date == dt.date(2026, 6, 1)


def test_patch_of_a_term_without_the_right_is_refused(api, draft):
    before = saved_state()

    response = api.patch(
        order_url(draft.pk), {"payment_terms": PaymentTerms.objects.get(code="net30").pk}
    )

    assert_refused(response, 403, "term_change_forbidden")
    assert saved_state() == before


def test_lines_are_added_changed_and_removed(api, draft, product):
    added = api.post(
        order_url(draft.pk, "lines/"),
        {"product": product.pk, "quantity": "2", "discount_percent": "10"},
    )
    assert added.status_code == 201, added.content
    body = added.json()
    assert [li["quantity"] for li in body["lines"]] == ["3.000", "2.000"]
    # 300.00 + 2 x 100 x 0.9 = 480.00 net
    assert body["totals"]["net_amount"] == "480.00"
    new_line = body["lines"][1]["id"]

    changed = api.patch(order_url(draft.pk, f"lines/{new_line}/"), {"quantity": "4"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["totals"]["net_amount"] == "660.00"

    removed = api.delete(order_url(draft.pk, f"lines/{new_line}/"))
    assert removed.status_code == 200, removed.content
    assert [li["quantity"] for li in removed.json()["lines"]] == ["3.000"]
    assert removed.json()["totals"]["net_amount"] == "300.00"
    assert not OrderLine.objects.filter(pk=new_line).exists()


def test_unknown_line_is_refused(api, draft):
    before = saved_state()

    response = api.patch(order_url(draft.pk, "lines/999999/"), {"quantity": "1"})
    empty_change = api.patch(order_url(draft.pk, f"lines/{draft.lines.get().pk}/"), {"qty": "1"})

    assert_refused(response, 400, "line_unknown")
    assert_refused(empty_change, 400, "validation_error")
    assert saved_state() == before


def test_timeline_shows_before_and_after_of_a_line_change(api, manager, draft):
    line = draft.lines.get()
    api.patch(order_url(draft.pk, f"lines/{line.pk}/"), {"quantity": "5"})

    response = api.get(order_url(draft.pk, "timeline/"))

    assert response.status_code == 200
    events = response.json()["results"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["action"] for e in events] == [
        "orders.order.created",
        "orders.line.added",
        "orders.line.changed",
        "orders.order.changed",
    ]
    change = events[2]
    assert change["changes"]["quantity"] == {"from": "3", "to": "5"}
    assert change["changes"]["net_amount"] == {"from": "300", "to": "500"}
    assert change["actor_name"] == (manager.get_full_name() or manager.username)
    assert events[3]["changes"]["gross_amount"] == {"from": "360", "to": "600"}
    assert set(change) >= {"seq", "action", "actor_name", "occurred_at", "changes", "data"}


# --- lifecycle ---------------------------------------------------------------------------------


def test_confirm_cancel_and_close(api, manager, customer, contract, product, draft):
    confirmed = api.post(order_url(draft.pk, "confirm/"))
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_at"]
    assert sorted(confirmed.json()["allowed_actions"]) == ["amend", "cancel", "close"]

    closed = api.post(order_url(draft.pk, "close/"))
    assert closed.json()["status"] == "closed"
    assert closed.json()["allowed_actions"] == []

    other = make_order(manager, customer, product)
    assert_refused(
        api.post(order_url(other.pk, "cancel/"), {"reason": "nope"}), 400, "cancel_reason_unknown"
    )
    assert_refused(api.post(order_url(other.pk, "cancel/"), {}), 400, "cancel_reason_required")
    assert_refused(
        api.post(order_url(other.pk, "cancel/"), {"reason": "other"}),
        400,
        "cancel_comment_required",
    )
    cancelled = api.post(
        order_url(other.pk, "cancel/"), {"reason": "other", "comment": "Клієнт передумав"}
    )
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_comment"] == "Клієнт передумав"
    assert cancelled.json()["cancel_reason"]["name"] == "Інше (з поясненням)"


def test_confirm_of_an_empty_order_is_refused(api, manager, customer, contract, warehouse):
    empty = services.order_create(by=manager, customer=customer)
    before = saved_state()

    assert_refused(api.post(order_url(empty.pk, "confirm/")), 400, "order_empty")
    assert saved_state() == before


def test_amendment_changes_a_confirmed_order_with_a_reason(api, confirmed, product):
    line = confirmed.lines.get()

    response = api.post(
        order_url(confirmed.pk, "amendments/"),
        {
            "reason": "Клієнт додав позицію",
            "update": [{"id": line.pk, "quantity": "4"}],
            "add": [{"product": product.pk, "quantity": "1"}],
            "header": {"customer_reference": "PO-2"},
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"] == 1
    assert body["status"] == "confirmed"
    assert [li["quantity"] for li in body["lines"]] == ["4.000", "1.000"]
    assert body["customer_reference"] == "PO-2"
    assert body["totals"]["net_amount"] == "500.00"
    assert Amendment.objects.get(order=confirmed).reason == "Клієнт додав позицію"


def test_amendment_refusals(api, manager, customer, product, confirmed):
    line = confirmed.lines.get()
    draft = make_order(manager, customer, product)
    before = saved_state()

    assert_refused(
        api.post(order_url(confirmed.pk, "amendments/"), {"update": [{"id": line.pk}]}),
        400,
        "amendment_reason_required",
    )
    assert_refused(
        api.post(order_url(confirmed.pk, "amendments/"), {"reason": "r"}), 400, "nothing_to_amend"
    )
    repeated = api.post(
        order_url(confirmed.pk, "amendments/"),
        {"reason": "r", "update": [{"id": line.pk, "quantity": "1"}, {"id": line.pk}]},
    )
    assert_refused(repeated, 400, "validation_error")
    assert_refused(
        api.post(order_url(draft.pk, "amendments/"), {"reason": "r", "remove": [1]}),
        409,
        "invalid_transition",
    )
    assert saved_state() == before


def test_copy_makes_a_new_draft(api, manager, confirmed, price_list):
    second = CustomerFactory(manager=manager, short_name="Бета")
    ContractFactory(customer=second, price_list=price_list)

    same = api.post(order_url(confirmed.pk, "copy/"), {})
    other = api.post(order_url(confirmed.pk, "copy/"), {"customer": second.pk})

    assert same.status_code == 201, same.content
    assert same.json()["status"] == "draft"
    assert same.json()["id"] != confirmed.pk
    assert same.json()["customer"]["id"] == confirmed.customer_id
    assert [li["quantity"] for li in same.json()["lines"]] == ["3.000"]
    assert other.status_code == 201, other.content
    assert other.json()["customer"]["name"] == "Бета"


# --- list: pagination and filters ----------------------------------------------------------


def test_list_paginates_and_filters(api, manager, customer, contract, product):
    second = CustomerFactory(manager=manager, short_name="Гамма")
    ContractFactory(customer=second, price_list=contract.price_list)
    first = make_order(manager, customer, product, order_date=dt.date(2026, 1, 10))
    middle = make_order(manager, second, product, order_date=dt.date(2026, 2, 10))
    last = make_order(manager, customer, product, order_date=dt.date(2026, 3, 10))
    services.order_confirm(by=manager, order=middle)

    page1 = api.get(ORDERS, {"page_size": 2}).json()
    page2 = api.get(ORDERS, {"page_size": 2, "page": 2}).json()

    assert page1["count"] == 3
    assert [o["id"] for o in page1["results"]] == [last.pk, middle.pk]
    assert page1["next"] and page1["previous"] is None
    assert [o["id"] for o in page2["results"]] == [first.pk]

    def ids(**params):
        response = api.get(ORDERS, params)
        assert response.status_code == 200, response.content
        return [o["id"] for o in response.json()["results"]]

    assert ids(status="confirmed") == [middle.pk]
    assert ids(status="draft,confirmed") == [last.pk, middle.pk, first.pk]
    assert ids(customer=customer.pk) == [last.pk, first.pk]
    assert ids(manager=manager.pk) == [last.pk, middle.pk, first.pk]
    assert ids(date_from="2026-02-01", date_to="2026-02-28") == [middle.pk]
    assert ids(q="Гамма") == [middle.pk]
    assert ids(q=first.number) == [first.pk]
    assert ids(currency="uah") == [last.pk, middle.pk, first.pk]
    item = api.get(ORDERS, {"status": "confirmed"}).json()["results"][0]
    assert item["customer"] == {"id": second.pk, "name": "Гамма"}
    assert item["gross_amount"] == "360.00"


def test_list_refuses_bad_filters(api, draft):
    assert_refused(api.get(ORDERS, {"colour": "red"}), 400, "filter_unknown")
    assert_refused(
        api.get(ORDERS, {"date_from": "2026-03-01", "date_to": "2026-02-01"}),
        400,
        "date_range_reversed",
    )
    assert_refused(api.get(ORDERS, {"date_from": "yesterday"}), 400, "filter_invalid")
    assert_refused(api.get(ORDERS, {"status": "lost"}), 400, "filter_invalid")
    assert_refused(api.get(ORDERS, {"customer": "x"}), 400, "filter_invalid")
    assert_refused(api.get(ORDERS, {"page": 99}), 404, "not_found")


# --- templates and catalogues ------------------------------------------------------------------


def test_templates_create_list_update_use_and_delete(
    api, manager, other_manager, customer, contract, product
):
    created = api.post(
        "/api/v1/order-templates/",
        {
            "name": "Щотижневе",
            "lines": [{"product": product.pk, "quantity": "5", "discount_percent": "2"}],
        },
    )
    assert created.status_code == 201, created.content
    template = created.json()
    assert template["owner"]["id"] == manager.pk
    assert template["lines"][0]["quantity"] == "5.000"
    url = f"/api/v1/order-templates/{template['id']}/"

    assert [t["id"] for t in api.get("/api/v1/order-templates/").json()["results"]] == [
        template["id"]
    ]
    updated = api.put(
        url,
        {
            "name": "Щотижневе 2",
            "shared": True,
            "lines": [{"product": product.pk, "quantity": "7"}],
        },
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["name"] == "Щотижневе 2"
    assert updated.json()["lines"][0]["quantity"] == "7.000"

    ordered = api.post(f"{url}create-order/", {"customer": customer.pk})
    assert ordered.status_code == 201, ordered.content
    assert ordered.json()["lines"][0]["quantity"] == "7.000"
    assert ordered.json()["contract"]["id"] == contract.pk

    # shared: another manager sees it but may not change it
    stranger = client_for(other_manager)
    assert stranger.get(url).status_code == 200
    assert_refused(
        stranger.put(url, {"name": "mine", "lines": [{"product": product.pk, "quantity": "1"}]}),
        403,
        "template_not_permitted",
    )
    assert_refused(stranger.delete(url), 403, "template_not_permitted")

    deleted = api.delete(url)
    assert deleted.status_code == 204
    assert_refused(api.get(url), 404, "template_not_found")


def test_template_refusals(api, other_manager, product):
    private = services.template_save(
        by=other_manager,
        name="Private",
        lines=[services.LineInput(product=product.pk, quantity=Decimal("1"))],
    )
    before = saved_state()

    assert_refused(api.get(f"/api/v1/order-templates/{private.pk}/"), 404, "template_not_found")
    assert_refused(
        api.post("/api/v1/order-templates/", {"lines": [{"product": product.pk, "quantity": 1}]}),
        400,
        "template_name_required",
    )
    assert_refused(api.post("/api/v1/order-templates/", {"name": "Empty"}), 400, "template_empty")
    assert_refused(
        api.post(
            "/api/v1/order-templates/",
            {"name": "Bad", "lines": [{"product": product.pk, "quantity": "0"}]},
        ),
        400,
        "quantity_not_positive",
    )
    warehouse = client_for(UserFactory(roles=["warehouse"]))
    assert_refused(
        warehouse.post(
            "/api/v1/order-templates/",
            {"name": "W", "lines": [{"product": product.pk, "quantity": "1"}]},
        ),
        403,
        "template_not_permitted",
    )
    assert saved_state() == before


def test_save_order_as_template(api, draft, product):
    response = api.post(order_url(draft.pk, "save-as-template/"), {"name": "З замовлення"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "З замовлення"
    assert body["shared"] is False
    assert [(li["product"]["id"], li["quantity"]) for li in body["lines"]] == [
        (product.pk, "3.000")
    ]
    # the draft's terms are its contract's, so the template leaves them to each customer
    assert body["payment_terms"] is None


def test_cancellation_reasons_are_listed(api):
    response = api.get("/api/v1/cancellation-reasons/")

    assert response.status_code == 200
    reasons = {r["code"]: r for r in response.json()}
    assert reasons["other"]["requires_text"] is True
    assert reasons["duplicate"]["requires_text"] is False


def test_confirm_fixes_todays_rate(head, product, price_list):
    customer = CustomerFactory(manager=head)
    ContractFactory(customer=customer, price_list=price_list, currency_id="EUR")
    today = timezone.localdate()
    exchange_rate_set(currency="EUR", date=today - dt.timedelta(days=10), rate=Decimal("40"))
    order = services.order_create(
        by=head,
        customer=customer,
        order_date=today - dt.timedelta(days=5),
        lines=[services.LineInput(product=product.pk, quantity=Decimal("1"), unit_price="10")],
    )
    exchange_rate_set(currency="EUR", date=today, rate=Decimal("42"))

    response = client_for(head).post(order_url(order.pk, "confirm/"))

    assert response.status_code == 200, response.content
    assert response.json()["base_totals"]["exchange_rate"] == "42.000000"
    assert response.json()["base_totals"]["net_amount"] == "420.00"


# --- query shape -------------------------------------------------------------------------------


def test_list_and_detail_queries_do_not_grow_with_rows(api, manager, customer, contract, product):
    order = make_order(manager, customer, product)

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    list_few, detail_few = queries(ORDERS), queries(order_url(order.pk))
    for _ in range(5):
        make_order(manager, customer, product)
        services.order_line_add(
            by=manager,
            order=order,
            line=services.LineInput(
                product=product.pk,
                quantity=Decimal("1"),
                schedule=[(dt.date(2026, 5, 1), Decimal("1"))],
            ),
        )

    assert queries(ORDERS) == list_few
    assert queries(order_url(order.pk)) == detail_few
    assert detail_few <= 8, detail_few
    assert list_few <= 4, list_few


# --- odd input anywhere: a 4xx with the error shape, never a 500, nothing saved ----------------


ODD_REQUESTS = [
    ("post", "cancel/", {"reason": "9" * 32}, "cancel_reason_unknown"),
    ("post", "cancel/", {"reason": ["duplicate"]}, "validation_error"),
    ("post", "amendments/", {"reason": "r", "remove": [999999]}, "invalid_transition"),
    ("patch", "", {"order_date": "2019-01-01"}, "contract_not_valid"),
    ("patch", "", {"price_list": 999999}, "price_list_unknown"),
    ("patch", "", {"warehouse": 999999}, "warehouse_unknown"),
    ("patch", "", {"manager": 999999}, "manager_unknown"),
    ("patch", "", {"payment_terms": None}, "validation_error"),
    ("patch", "", {"partial_shipment_allowed": "maybe"}, "validation_error"),
    ("patch", "", {"currency": "EURO"}, "validation_error"),
    ("patch", "", {"number": "X-1"}, "validation_error"),
    ("patch", "", [1, 2], "validation_error"),
    ("patch", "lines/0/", {"quantity": "1"}, None),
    ("post", "lines/", {"product": 1, "quantity": 1e-7}, "validation_error"),
    ("post", "lines/", {"product": 1, "quantity": 1e20}, "validation_error"),
    ("post", "lines/", {"product": 1, "quantity": True}, "validation_error"),
    ("post", "lines/", {"product": 1, "quantity": "1", "schedule": "soon"}, "validation_error"),
    (
        "post",
        "lines/",
        {"product": 1, "quantity": "2", "schedule": [{"date": "2026-05-01", "quantity": "1"}] * 2},
        "schedule_date_repeated",
    ),
    ("post", "copy/", {"customer": 999999}, "customer_unknown"),
    ("post", "save-as-template/", {"name": "x" * 129}, "validation_error"),
]


@pytest.mark.parametrize(("method", "tail", "payload", "code"), ODD_REQUESTS)
def test_odd_input_is_refused_with_a_code_and_saves_nothing(
    api, draft, method, tail, payload, code
):
    before = saved_state()

    response = getattr(api, method)(order_url(draft.pk, tail), payload)

    assert 400 <= response.status_code < 500, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    if code:
        assert body["code"] == code, body
    assert saved_state() == before
