"""Idempotency-Key on the API calls that create orders: a replay acts once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from orderdesk.audit.models import Event
from orderdesk.core.models import IdempotencyRecord
from orderdesk.orders import services
from orderdesk.orders.models import Order, OrderLine
from orderdesk.testing.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def counts() -> tuple[int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), Event.objects.count()


@pytest.fixture
def body(customer, contract, product):
    return {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": "2"}]}


def test_replay_returns_the_first_answer_and_creates_once(manager, body):
    client = client_for(manager)

    first = client.post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="order-1")
    after_first = counts()
    second = client.post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert counts() == after_first
    assert Order.objects.count() == 1
    record = IdempotencyRecord.objects.get(user=manager, key="order-1")
    assert (record.scope, record.status_code) == ("orders.create", 201)


def test_same_key_with_another_body_is_refused(manager, body):
    client = client_for(manager)
    client.post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="order-2")
    before = counts()

    other = {**body, "lines": [{"product": body["lines"][0]["product"], "quantity": "3"}]}
    response = client.post(ORDERS, other, HTTP_IDEMPOTENCY_KEY="order-2")

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_reused"
    assert counts() == before


def test_a_refused_create_is_not_remembered(manager, body):
    client = client_for(manager)
    bad = {**body, "lines": [{"product": body["lines"][0]["product"], "quantity": "0"}]}

    refused = client.post(ORDERS, bad, HTTP_IDEMPOTENCY_KEY="order-3")
    assert refused.status_code == 400
    assert refused.json()["code"] == "quantity_not_positive"
    assert not IdempotencyRecord.objects.exists()
    assert counts() == (0, 0, 0)

    corrected = client.post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="order-3")
    assert corrected.status_code == 201, corrected.content
    assert Order.objects.count() == 1


def test_keys_belong_to_the_user(manager, head, body, price_list, product):
    own_customer = CustomerFactory(manager=head)
    ContractFactory(customer=own_customer, price_list=price_list)
    head_body = {"customer": own_customer.pk, "lines": body["lines"]}

    mine = client_for(manager).post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="shared-key")
    theirs = client_for(head).post(ORDERS, head_body, HTTP_IDEMPOTENCY_KEY="shared-key")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_too_long_key_is_refused(manager, body):
    response = client_for(manager).post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert counts() == (0, 0, 0)


def test_without_a_key_each_post_creates(manager, body):
    client = client_for(manager)

    client.post(ORDERS, body)
    client.post(ORDERS, body)

    assert Order.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_copy_and_template_orders_replay_per_source(manager, customer, contract, product):
    client = client_for(manager)
    line = services.LineInput(product=product.pk, quantity=Decimal("1"))
    first = services.order_create(by=manager, customer=customer, lines=[line])
    second = services.order_create(by=manager, customer=customer, lines=[line])
    template = services.template_save(by=manager, name="T", lines=[line])

    copy1 = client.post(f"{ORDERS}{first.pk}/copy/", {}, HTTP_IDEMPOTENCY_KEY="copy")
    copy1_again = client.post(f"{ORDERS}{first.pk}/copy/", {}, HTTP_IDEMPOTENCY_KEY="copy")
    copy2 = client.post(f"{ORDERS}{second.pk}/copy/", {}, HTTP_IDEMPOTENCY_KEY="copy")
    url = f"/api/v1/order-templates/{template.pk}/create-order/"
    made = client.post(url, {"customer": customer.pk}, HTTP_IDEMPOTENCY_KEY="tpl")
    made_again = client.post(url, {"customer": customer.pk}, HTTP_IDEMPOTENCY_KEY="tpl")

    assert copy1.status_code == copy1_again.status_code == 201
    assert copy1_again.json()["id"] == copy1.json()["id"]
    assert copy2.status_code == 400
    assert copy2.json()["code"] == "idempotency_key_reused"
    assert made.status_code == made_again.status_code == 201
    assert made_again.json()["id"] == made.json()["id"]
    assert Order.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_create_one_order(
    keep_seed_data, transactional_db, on_postgres, manager, body
):
    results: list[tuple[int, int | None]] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        try:
            barrier.wait()
            response = client_for(manager).post(ORDERS, body, HTTP_IDEMPOTENCY_KEY="race")
            results.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Order.objects.count() == 1
    order_id = Order.objects.get().pk
    assert results == [(201, order_id)] * 6
