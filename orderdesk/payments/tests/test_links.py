"""Payment links: made through each provider's API, stored in two transactions around the call."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.db import connection

from orderdesk.audit.models import Event
from orderdesk.billing.models import Invoice
from orderdesk.billing.services import payment_create
from orderdesk.core.errors import DomainError
from orderdesk.payments.choices import LinkStatus
from orderdesk.payments.models import PaymentLink
from orderdesk.payments.providers import ADAPTERS
from orderdesk.payments.services import payment_link_create
from orderdesk.testing.factories import CustomerFactory, UserFactory

from .conftest import invoiced_order


def test_liqpay_link_is_a_signed_checkout_url_for_the_open_amount(
    fake_provider, order_invoice, accountant
):
    _order, invoice = order_invoice
    link = payment_link_create(by=accountant, invoice=invoice, provider="liqpay")
    assert link.status == LinkStatus.ACTIVE and link.amount == invoice.payable_amount
    query = parse_qs(urlparse(link.url).query)
    params = json.loads(__import__("base64").b64decode(query["data"][0]))
    assert params["order_id"] == link.reference and params["action"] == "pay"
    assert Decimal(str(params["amount"])) == link.amount and params["currency"] == "UAH"
    assert params["server_url"] == "http://testserver/payments/webhooks/liqpay/"
    # the fake LiqPay checks the signature of the link, as the real page does
    assert requests.get(link.url, timeout=5).status_code == 200


def test_monobank_link_is_an_invoice_created_with_the_token(
    fake_provider, order_invoice, accountant
):
    _order, invoice = order_invoice
    link = payment_link_create(by=accountant, invoice=invoice, provider="monobank")
    state = fake_provider.mono[link.provider_ref]
    assert state["amount"] == int(link.amount * 100) and state["ccy"] == 980
    assert state["reference"] == link.reference
    assert link.url.endswith(link.provider_ref) and link.status == LinkStatus.ACTIVE


def test_stripe_link_is_a_checkout_session_keyed_by_our_reference(
    fake_provider, order_invoice, accountant
):
    _order, invoice = order_invoice
    link = payment_link_create(by=accountant, invoice=invoice, provider="stripe")
    session = fake_provider.sessions[link.provider_ref]
    assert session["client_reference_id"] == link.reference
    assert session["amount_total"] == int(link.amount * 100) and session["currency"] == "uah"
    assert fake_provider.idempotency[link.reference] == link.provider_ref


def test_asking_again_returns_the_link_still_usable(fake_provider, order_invoice, accountant):
    _order, invoice = order_invoice
    first = payment_link_create(by=accountant, invoice=invoice, provider="stripe")
    again = payment_link_create(by=accountant, invoice=invoice, provider="stripe")
    assert again.pk == first.pk and PaymentLink.objects.count() == 1
    other = payment_link_create(by=accountant, invoice=invoice, provider="liqpay")
    assert other.pk != first.pk


def test_link_creation_is_in_the_order_history(fake_provider, order_invoice, accountant):
    order, invoice = order_invoice
    link = payment_link_create(by=accountant, invoice=invoice, provider="monobank")
    actions = list(
        Event.objects.filter(stream=f"orders.order:{order.pk}").values_list("action", flat=True)
    )
    assert actions[-2:] == ["payments.link.requested", "payments.link.created"]
    assert link.reference in str(Event.objects.filter(action="payments.link.created").get().data)


def test_a_seller_links_an_own_order_but_not_another_sellers(
    fake_provider, order_invoice, manager, other_manager
):
    _order, invoice = order_invoice
    link = payment_link_create(by=manager, invoice=invoice, provider="liqpay")
    assert link.created_by == manager
    with pytest.raises(DomainError) as info:
        payment_link_create(by=other_manager, invoice=invoice, provider="monobank")
    assert info.value.code == "payments_not_permitted"
    storekeeper = UserFactory(username="wh", roles=["warehouse"])
    with pytest.raises(DomainError, match="payments_not_permitted"):
        payment_link_create(by=storekeeper, invoice=invoice, provider="monobank")


def test_no_link_for_an_unknown_invoice_or_one_with_nothing_open(
    fake_provider, order_invoice, customer, accountant
):
    order, invoice = order_invoice
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=999999, provider="stripe")
    assert (info.value.code, info.value.status) == ("invoice_not_found", 404)
    payment_create(by=accountant, customer=customer, order=order, amount=invoice.payable_amount)
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice, provider="stripe")
    assert info.value.code == "invoice_nothing_open"
    assert not PaymentLink.objects.exists()


def test_a_draft_invoice_gets_no_link(
    fake_provider, accountant, manager, priced_product, price_list
):
    from orderdesk.billing.models import DocumentStatus

    customer = CustomerFactory(manager=manager)
    _order, invoice = invoiced_order(manager, customer, priced_product, price_list)
    Invoice.objects.filter(pk=invoice.pk).update(status=DocumentStatus.DRAFT)
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice.pk, provider="liqpay")
    assert (info.value.code, info.value.status) == ("invoice_not_posted", 409)


def test_unknown_or_unconfigured_provider_or_currency_is_refused(
    fake_provider, order_invoice, accountant, settings
):
    _order, invoice = order_invoice
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice, provider="paypal")
    assert (info.value.code, info.value.status) == ("provider_unknown", 404)
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "monobank": {"BASE_URL": "x"}}
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice, provider="monobank")
    assert info.value.code == "provider_not_configured"
    Invoice.objects.filter(pk=invoice.pk).update(currency_id="PLN")
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice.pk, provider="liqpay")
    assert info.value.code == "currency_not_supported"
    assert not PaymentLink.objects.exists()


def test_a_provider_that_refuses_leaves_the_link_in_error_with_the_reason(
    fake_provider, order_invoice, accountant
):
    order, invoice = order_invoice
    fake_provider.fail_with = 500
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice, provider="monobank")
    assert (info.value.code, info.value.status) == ("provider_refused", 502)
    link = PaymentLink.objects.get()
    assert (link.status, link.error_code, link.url) == (LinkStatus.ERROR, "provider_refused", "")
    assert Event.objects.filter(
        stream=f"orders.order:{order.pk}", action="payments.link.refused"
    ).exists()


def test_an_unreachable_provider_answers_provider_unavailable(
    fake_provider, order_invoice, accountant, settings
):
    _order, invoice = order_invoice
    fake_provider.stop()  # nobody listens on the port any more
    with pytest.raises(DomainError) as info:
        payment_link_create(by=accountant, invoice=invoice, provider="stripe")
    assert info.value.code == "provider_unavailable"
    assert PaymentLink.objects.get().status == LinkStatus.ERROR


def test_the_provider_is_called_outside_any_transaction(
    committed_db, fake_provider, monkeypatch, warehouse, price_list, manager
):
    """Commit the link, call the provider, store the answer in a new transaction."""
    from orderdesk.testing.factories import PriceListItemFactory, ProductFactory

    product = ProductFactory()
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("10"))
    customer = CustomerFactory(manager=manager)
    accountant = UserFactory(username="acc-tx", roles=["accountant"])
    _order, invoice = invoiced_order(manager, customer, product, price_list)
    seen = []
    adapter = ADAPTERS["monobank"]
    original = adapter.create_link

    def spy(link, **kwargs):
        seen.append((connection.in_atomic_block, PaymentLink.objects.filter(pk=link.pk).exists()))
        return original(link, **kwargs)

    monkeypatch.setattr(adapter, "create_link", spy)
    link = payment_link_create(by=accountant, invoice=invoice, provider="monobank")
    # not in a transaction, and the "creating" row was already committed (visible)
    assert seen == [(False, True)]
    assert link.status == LinkStatus.ACTIVE
