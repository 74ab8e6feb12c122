"""An e-shop's order in one request: POST /api/v1/orders/ with `confirm` (or `submit`) moves
the new order on in the same transaction, and `Prefer: return=minimal` (RFC 7240) answers
with the compact body. Outcomes are those of the confirm endpoint (confirmed, pending
approval, credit hold); a refused confirmation leaves nothing behind; a replay with the same
Idempotency-Key acts once; the request costs the services' statements plus the token lookup
and the read after the commit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orderdesk.approvals import services as approvals
from orderdesk.approvals.models import Approval
from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.core.models import IdempotencyRecord
from orderdesk.credit import services as credit
from orderdesk.credit.models import Commitment, CreditHold
from orderdesk.orders import services
from orderdesk.orders.api.serializers import OrderMinimalSerializer
from orderdesk.orders.api.views import prefers_minimal
from orderdesk.orders.models import Order, OrderLine
from orderdesk.testing.factories import PriceListItemFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
MINIMAL = {"HTTP_PREFER": "return=minimal"}
MINIMAL_KEYS = {"id", "number", "status", "fulfillment_status", "payment_status", "totals"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def saved() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "events": Event.objects.count(),
        "approvals": Approval.objects.count(),
        "holds": CreditHold.objects.count(),
        "commitments": Commitment.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
def api(manager):
    return client_for(manager)


@pytest.fixture
def body(customer, contract, product):
    return {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": "3"}]}


@pytest.fixture
def controller(db):
    return UserFactory(username="cc", roles=["credit_controller"])


# --- confirm: true -----------------------------------------------------------------------------


def test_create_with_confirm_answers_the_confirmed_card(api, body):
    response = api.post(ORDERS, {**body, "confirm": True})

    assert response.status_code == 201, response.content
    card = response.json()
    order = Order.objects.get()
    assert card["id"] == order.pk
    assert card["status"] == order.status == "confirmed"
    assert card["confirmed_at"]
    assert response.headers["Location"] == f"{ORDERS}{order.pk}/"
    assert "Preference-Applied" not in response.headers
    # the same card as the order reads afterwards
    assert card == api.get(f"{ORDERS}{order.pk}/").json()
    assert Commitment.objects.get(order_id=order.pk).amount == order.base_gross_amount
    actions = list(
        Event.objects.filter(stream=stream_of(order))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[0] == "orders.order.created"
    assert "orders.order.confirmed" in actions


def test_create_with_confirm_waits_for_approval_when_rules_fire(
    api, body, admin_user, head, price_list
):
    approvals.rule_save(
        by=admin_user,
        name="Price below list",
        kind="price_below_list",
        stages=[{"role": "sales_head", "mode": "any"}],
    )
    cheap = {**body, "lines": [{**body["lines"][0], "unit_price": "90"}]}

    response = api.post(ORDERS, {**cheap, "confirm": True})

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending_approval"
    order = Order.objects.get()
    assert order.status == "pending_approval"
    assert Approval.objects.get(subject_id=order.pk).status == "pending"
    assert not Commitment.objects.filter(order_id=order.pk).exists()


def test_create_with_confirm_is_held_by_credit_control(api, body, controller, customer):
    credit.limit_set(by=controller, customer=customer, amount="1", mode="block_confirmation")

    response = api.post(ORDERS, {**body, "confirm": True}, **MINIMAL)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "credit_hold"
    order = Order.objects.get()
    hold = CreditHold.objects.get(order_id=order.pk, status="held")
    assert hold.reasons[0]["code"] == "credit_limit_exceeded"


def test_create_with_submit_submits(api, body):
    response = api.post(ORDERS, {**body, "submit": True})

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "confirmed"


def test_a_refused_confirmation_leaves_no_draft(api, customer, contract, warehouse):
    before = saved()

    refused(api.post(ORDERS, {"customer": customer.pk, "confirm": True}), 400, "order_empty")
    refused(
        api.post(
            ORDERS, {"customer": customer.pk, "confirm": True}, HTTP_IDEMPOTENCY_KEY="empty-1"
        ),
        400,
        "order_empty",
    )

    assert saved() == before


@pytest.mark.parametrize(
    ("value", "code"),
    [("maybe", "invalid"), (2, "invalid"), (None, "null"), ({"x": 1}, "invalid")],
)
def test_confirm_that_is_not_a_boolean_is_refused(api, body, value, code):
    before = saved()

    answer = refused(api.post(ORDERS, {**body, "confirm": value}), 400, "validation_error")

    assert answer["fields"]["confirm"][0]["code"] == code
    assert saved() == before


def test_confirm_and_submit_together_are_refused(api, body):
    answer = refused(
        api.post(ORDERS, {**body, "confirm": True, "submit": True}), 400, "validation_error"
    )

    assert answer["fields"]["submit"][0]["code"] == "confirm_or_submit"
    assert not Order.objects.exists()


def test_confirm_false_creates_a_draft(api, body):
    response = api.post(ORDERS, {**body, "confirm": False})

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"


# --- Prefer: return=minimal --------------------------------------------------------------------


def assert_minimal(response, status: int) -> dict:
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == MINIMAL_KEYS == set(OrderMinimalSerializer().fields)
    assert response.headers["Preference-Applied"] == "return=minimal"
    assert response.headers["Location"] == f"{ORDERS}{data['id']}/"
    assert "Prefer" in response.headers["Vary"]
    return data


def test_prefer_minimal_answers_the_compact_body(api, body):
    created = assert_minimal(api.post(ORDERS, body, **MINIMAL), 201)
    confirmed = assert_minimal(api.post(f"{ORDERS}{created['id']}/confirm/", **MINIMAL), 200)
    one_step = assert_minimal(api.post(ORDERS, {**body, "confirm": True}, **MINIMAL), 201)
    draft = api.post(ORDERS, body).json()
    submitted = assert_minimal(api.post(f"{ORDERS}{draft['id']}/submit/", **MINIMAL), 200)

    assert created["status"] == "draft"
    for data in (confirmed, one_step, submitted):
        card = api.get(f"{ORDERS}{data['id']}/").json()
        assert data == {key: card[key] for key in MINIMAL_KEYS}
        assert data["status"] == "confirmed"
        assert data["totals"] == {
            "currency": "UAH",
            "net_amount": "300.00",
            "vat_amount": "60.00",
            "gross_amount": "360.00",
        }


def test_without_the_preference_the_answer_is_the_card(api, body):
    for headers in ({}, {"HTTP_PREFER": "return=representation"}, {"HTTP_PREFER": "wait=5"}):
        response = api.post(ORDERS, {**body, "confirm": True}, **headers)
        assert response.status_code == 201, response.content
        assert "lines" in response.json()
        assert "Preference-Applied" not in response.headers
        assert "Prefer" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("header", "minimal"),
    [
        ("return=minimal", True),
        ("Return=Minimal", True),
        ('return="minimal"', True),
        ("respond-async, wait=10, return=minimal; x=1", True),
        ("return=representation, return=minimal", False),
        ("return=representation", False),
        ("handling=lenient", False),
        ("", False),
    ],
)
def test_prefer_header_is_read_as_rfc_7240_says(rf, header, minimal):
    request = rf.post(ORDERS, HTTP_PREFER=header) if header else rf.post(ORDERS)

    assert prefers_minimal(request) is minimal


def test_minimal_confirm_reads_less_than_the_card(api, manager, customer, contract, product):
    drafts = [
        services.order_create(
            by=manager,
            customer=customer,
            lines=[services.LineInput(product=product.pk, quantity=Decimal("1"))],
        )
        for _ in range(2)
    ]

    with CaptureQueriesContext(connection) as card:
        api.post(f"{ORDERS}{drafts[0].pk}/confirm/")
    with CaptureQueriesContext(connection) as minimal:
        assert_minimal(api.post(f"{ORDERS}{drafts[1].pk}/confirm/", **MINIMAL), 200)

    # no schedules, no deviations (limits, approval rules) for the compact answer
    assert len(minimal) <= len(card) - 3


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_replayed_create_with_confirm_acts_once(api, body):
    first = api.post(ORDERS, {**body, "confirm": True}, HTTP_IDEMPOTENCY_KEY="shop-1", **MINIMAL)
    after_first = saved()
    second = api.post(ORDERS, {**body, "confirm": True}, HTTP_IDEMPOTENCY_KEY="shop-1", **MINIMAL)

    assert_minimal(first, 201)
    assert_minimal(second, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert first.json()["status"] == "confirmed"
    assert saved() == after_first
    assert Order.objects.count() == Commitment.objects.count() == 1
    order = Order.objects.get()
    confirmed = Event.objects.filter(stream=stream_of(order), action="orders.order.confirmed")
    assert confirmed.count() == 1


def test_replay_of_a_card_answers_the_card(api, body):
    first = api.post(ORDERS, {**body, "confirm": True}, HTTP_IDEMPOTENCY_KEY="shop-2")
    second = api.post(ORDERS, {**body, "confirm": True}, HTTP_IDEMPOTENCY_KEY="shop-2")

    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert "Preference-Applied" not in second.headers
    assert Order.objects.count() == 1


def test_same_key_for_a_draft_and_a_confirmed_create_is_refused(api, body):
    api.post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="shop-3")
    before = saved()

    response = api.post(ORDERS, {**body, "confirm": True}, HTTP_IDEMPOTENCY_KEY="shop-3")

    refused(response, 400, "idempotency_key_reused")
    assert saved() == before
    assert Order.objects.get().status == "draft"


# --- statements --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_request_costs_the_services_statements_plus_the_token_and_the_read_after_commit(
    keep_seed_data, transactional_db, manager, customer, contract, price_list, product
):
    """Real commits (no test transaction around the requests), as in production and in the
    benchmark: 5 lines, token authentication. Measured on PostgreSQL and SQLite alike (with
    the other issue-10 work of 2026-11): services 38 (create and confirm, two transactions),
    API before 48 (two requests), one request 40 (card) and 38 (`Prefer: return=minimal`)."""
    products = [product]
    for i in range(4):
        extra = ProductFactory(sku=f"SC-{i}", name=f"Товар {i}")
        PriceListItemFactory(price_list=price_list, product=extra, price=Decimal("50"))
        products.append(extra)
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    body = {
        "customer": customer.pk,
        "lines": [{"product": p.pk, "quantity": "2"} for p in products],
    }
    lines = [services.LineInput(product=p.pk, quantity=Decimal("2")) for p in products]

    def post(path: str, data: dict, **headers):
        response = client.post(path, json.dumps(data), content_type="application/json", **headers)
        assert response.status_code in (200, 201), response.content
        return response

    def through_services() -> int:
        user = User.objects.get(pk=manager.pk)  # a fresh user, as a request has
        with CaptureQueriesContext(connection) as create:
            order = services.order_create(by=user, customer=customer.pk, lines=lines)
        with CaptureQueriesContext(connection) as confirm:
            services.order_confirm(by=user, order=order.pk)
        return len(create) + len(confirm)

    def count(path_body: dict, **headers) -> int:
        with CaptureQueriesContext(connection) as q:
            response = post(ORDERS, path_body, **headers)
        assert response.json()["status"] == "confirmed"
        return len(q)

    def two_requests() -> int:
        with CaptureQueriesContext(connection) as create:
            created = post(ORDERS, body).json()
        with CaptureQueriesContext(connection) as confirm:
            post(f"{ORDERS}{created['id']}/confirm/", {})
        return len(create) + len(confirm)

    # first calls pay one-off costs (content types, process caches)
    through_services()
    two_requests()
    count({**body, "confirm": True}, **MINIMAL)

    services_total = through_services()
    before = two_requests()
    card = count({**body, "confirm": True})
    minimal = count({**body, "confirm": True}, **MINIMAL)

    # one transaction instead of two saves its COMMIT and BEGIN and the history's read of the
    # order's stream head; the API pays the token lookup and the read after the commit
    assert minimal <= services_total, (minimal, services_total)
    # the card adds its deviations (limits, approval rules)
    assert card <= minimal + 2, (card, minimal)
    assert minimal < card < before, (minimal, card, before)
