"""Payments test set-up: the local fake provider, role users, orders with posted invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderdesk.billing.models import DocumentStatus, Invoice
from orderdesk.customers.models import PaymentTerms
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.payments.services._common import open_amount
from orderdesk.testing.factories import (
    ContractFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
)

from .fake_provider import FakeProvider


@pytest.fixture
def fake_provider(settings):
    """A fake LiqPay + monobank + Stripe on 127.0.0.1 (free port), stopped at teardown; the
    settings point every provider at it."""
    fake = FakeProvider().start()
    settings.PAYMENT_PROVIDERS = fake.settings()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", roles=["accountant"])


@pytest.fixture
def controller(db):
    return UserFactory(username="controller", roles=["credit_controller"])


@pytest.fixture
def priced_product(db, warehouse, price_list):
    """A product whose price has cents, so invoice amounts do too."""
    product = ProductFactory(sku="TILE-7", name="Плитка 7", cost_price=Decimal("20"))
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("41.37"))
    return product


def prepaid_contract(customer, price_list, terms: str = "prepay100"):
    contract = customer.contracts.filter(payment_terms__code=terms).first()
    if contract is None:
        contract = ContractFactory(
            customer=customer,
            payment_terms=PaymentTerms.objects.get(code=terms),
            price_list=price_list,
            is_default=not customer.contracts.exists(),
        )
    return contract


def invoiced_order(manager, customer, product, price_list, *, quantity=10, terms="prepay100"):
    """A confirmed order whose terms ask for prepayment: confirming it posts the prepayment
    invoice (billing's order hook). Returns (order, invoice)."""
    contract = prepaid_contract(customer, price_list, terms)
    order = order_create(
        by=manager,
        customer=customer,
        contract=contract,
        lines=[LineInput(product=product, quantity=Decimal(quantity))],
    )
    order = order_confirm(by=manager, order=order)
    invoice = Invoice.objects.get(order=order, status=DocumentStatus.POSTED)
    assert open_amount(invoice) > 0
    return order, invoice


@pytest.fixture
def order_invoice(manager, customer, priced_product, price_list):
    return invoiced_order(manager, customer, priced_product, price_list)


# --- helpers -----------------------------------------------------------------------------------


def deliver(client, provider: str, body: bytes, headers: dict[str, str]):
    """POST a provider's delivery to our webhook endpoint, as the provider would."""
    extra = {k: v for k, v in headers.items() if k != "Content-Type"}
    return client.post(
        f"/payments/webhooks/{provider}/",
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers=extra,
    )


def success_delivery(fake, link, *, amount=None, currency=None, **kwargs):
    """The provider's "paid" delivery for `link` (amount and currency as the link's unless
    given)."""
    amount = link.amount if amount is None else amount
    currency = currency or link.currency_id
    if link.provider == "liqpay":
        return fake.liqpay_callback(
            link.reference, "success", amount=amount, currency=currency, **kwargs
        )
    if link.provider == "monobank":
        return fake.mono_webhook(
            link.provider_ref, "success", amount=amount, currency=currency, **kwargs
        )
    return fake.stripe_webhook(
        link.provider_ref,
        "checkout.session.completed",
        payment_status="paid",
        amount=amount,
        currency=currency,
        **kwargs,
    )


def delivery(fake, link, meaning: str, **kwargs):
    """A delivery of `meaning` (processing, failure, expired, success) for `link`."""
    if meaning == "success":
        return success_delivery(fake, link, **kwargs)
    if link.provider == "liqpay":
        status = {"processing": "wait_secure", "failure": "failure", "expired": "expired"}[meaning]
        return fake.liqpay_callback(link.reference, status, amount=link.amount, **kwargs)
    if link.provider == "monobank":
        return fake.mono_webhook(link.provider_ref, meaning, **kwargs)
    kind, paid = {
        "processing": ("checkout.session.completed", "unpaid"),
        "failure": ("checkout.session.async_payment_failed", "unpaid"),
        "expired": ("checkout.session.expired", "unpaid"),
    }[meaning]
    return fake.stripe_webhook(link.provider_ref, kind, payment_status=paid, **kwargs)


def snapshot_db() -> dict:
    """What a refused or repeated delivery must leave as it was."""
    from orderdesk.audit.models import Event
    from orderdesk.billing.models import Payment
    from orderdesk.payments.models import PaymentHold, PaymentLink, ProviderEvent
    from orderdesk.receivables.models import Allocation, OpenItem

    return {
        "payments": sorted(Payment.objects.values_list("pk", "amount")),
        "events": ProviderEvent.objects.count(),
        "holds": PaymentHold.objects.count(),
        "history": Event.objects.count(),
        "allocations": Allocation.objects.count(),
        "open": sorted(map(str, OpenItem.objects.values_list("pk", "open_amount"))),
        "links": sorted(PaymentLink.objects.values_list("pk", "status", "payment_id")),
    }
