"""The demo dataset: loads into an empty database through the services, covers every order
state and role, keeps the history chain intact, and refuses to load twice."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from orderdesk.audit.models import Event
from orderdesk.catalog.models import Product, StockBalance, Warehouse
from orderdesk.core.models import ExchangeRate
from orderdesk.customers.models import Customer, SalesTeam
from orderdesk.demo import data
from orderdesk.demo import identifiers as ids
from orderdesk.orders.models import Amendment, DeliveryScheduleEntry, Order, OrderTemplate
from orderdesk.pricing.models import Contract, PriceList, PriceListItem

ROLES = {username: role for username, _f, _l, role, _h in data.USERS}


@pytest.fixture
def small_demo(db, settings):
    # the command hashes passwords with the real hasher; tests need not spend a second on it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("load_demo", "--small", stdout=out)
    return out.getvalue()


def test_load_demo_small_covers_every_order_state_and_shape(small_demo):
    assert Order.objects.count() == 40
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == {"draft", "confirmed", "cancelled", "closed"}
    assert Amendment.objects.exists()
    assert Order.objects.filter(revision__gt=0, status="closed").exists()
    assert DeliveryScheduleEntry.objects.exists()
    assert Event.objects.filter(action="orders.order.created", data__has_key="template").exists()
    cancelled = Order.objects.filter(status="cancelled")
    assert all(o.cancel_reason_id for o in cancelled)
    other = cancelled.filter(cancel_reason__code="other")
    assert other.exists() and all(o.cancel_comment for o in other)
    assert Order.objects.filter(status="cancelled", confirmed_at__isnull=False).exists()
    # every order was written by a service: it has a history, started by its creation
    for order in Order.objects.all():
        first = Event.objects.get(stream=f"orders.order:{order.pk}", seq=1)
        assert first.action == "orders.order.created"
        assert first.actor_id == order.customer.manager_id


def test_load_demo_small_master_data(small_demo):
    assert Customer.objects.count() == len(data.SMALL_CUSTOMERS)
    assert Product.objects.count() >= 200
    assert (
        Product.objects.filter(vat_rate=7).exists() and Product.objects.filter(vat_rate=0).exists()
    )
    assert set(Product.objects.values_list("unit", flat=True)) == {"шт", "кг", "м", "уп"}
    assert (
        StockBalance.objects.count()
        == Product.objects.count() * Warehouse.objects.count()
        == (Product.objects.count() * 2)
    )
    assert StockBalance.objects.filter(on_hand__gt=0).count() > Product.objects.count()
    assert set(PriceList.objects.values_list("name", flat=True)) == {
        "Оптовий",
        "Роздрібний",
        "Export EUR",
    }
    for price_list in PriceList.objects.all():
        priced = PriceListItem.objects.filter(price_list=price_list).values("product").distinct()
        assert priced.count() == Product.objects.count()
    assert PriceListItem.objects.filter(min_quantity__gt=0).exists()
    for currency in ("USD", "EUR", "PLN"):
        assert ExchangeRate.objects.filter(currency_id=currency).count() == 400
    for customer in Customer.objects.all():
        assert ids.edrpou_valid(customer.tax_id) or ids.rnokpp_valid(customer.tax_id)
        assert ids.iban_valid(customer.iban) and customer.iban.startswith("UA")
        assert Contract.objects.filter(customer=customer, is_default=True).count() == 1
        assert customer.contacts.filter(is_primary=True).count() == 1
    assert Contract.objects.filter(currency_id="EUR").exists()
    assert Contract.objects.filter(is_default=False).exists()
    assert OrderTemplate.objects.filter(shared=True, owner__username="manager1").exists()


def test_demo_users_hold_their_roles_and_log_in(small_demo, client):
    User = get_user_model()
    for username, role in ROLES.items():
        user = User.objects.get(username=username)
        assert set(user.groups.values_list("name", flat=True)) == {role}
        assert client.login(username=username, password=data.PASSWORD), username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    team = SalesTeam.objects.get()
    assert team.head.username == "head"
    assert {u.username for u in team.members.all()} == {"manager1", "manager2"}
    managers = set(Customer.objects.values_list("manager__username", flat=True))
    assert {"manager1", "manager2"} <= managers
    assert "manager1" in small_demo and data.PASSWORD in small_demo


def test_history_chain_verifies_after_the_demo(small_demo):
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("ok:")


def test_load_demo_if_empty_skips_and_plain_refuses_a_loaded_database(small_demo):
    before = (Order.objects.count(), Customer.objects.count(), Event.objects.count())
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("load_demo", "--small", stdout=StringIO())
    assert (Order.objects.count(), Customer.objects.count(), Event.objects.count()) == before


def test_identifiers_pass_their_check_digits():
    rng = random.Random(1)
    assert ids.edrpou_valid("14360570")  # a real ЄДРПОУ (ПриватБанк)
    assert not ids.edrpou_valid("14360571")
    for _ in range(200):
        assert ids.edrpou_valid(ids.edrpou(rng))
        code = ids.rnokpp(rng, born=dt.date(1980, 5, 17), female=True)
        assert ids.rnokpp_valid(code) and int(code[8]) % 2 == 0
        iban = ids.iban_ua(rng, mfo="305299")
        assert len(iban) == 29 and ids.iban_valid(iban)
    assert ids.translit("Юрій Щербак") == "yurii shcherbak"
    assert ids.translit("Згурський") == "zghurskyi"
