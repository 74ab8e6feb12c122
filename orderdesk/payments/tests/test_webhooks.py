"""Webhooks: verified, applied once with the payment registered and allocated in billing,
harmless when repeated or out of order, held when they do not fit, refused when forged."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.billing.models import Payment
from orderdesk.billing.services import payment_create
from orderdesk.orders.choices import PaymentStatus
from orderdesk.payments.choices import HoldReason, HoldStatus, LinkStatus
from orderdesk.payments.models import PaymentHold, PaymentLink, ProviderEvent, SecurityEvent
from orderdesk.payments.services import hold_apply, hold_dismiss, payment_link_create
from orderdesk.payments.services._common import open_amount
from orderdesk.receivables.models import Allocation

from .conftest import deliver, delivery, snapshot_db, success_delivery

PROVIDERS = ["liqpay", "monobank", "stripe"]


@pytest.fixture
def link_of(fake_provider, order_invoice, accountant):
    def make(provider):
        return payment_link_create(by=accountant, invoice=order_invoice[1], provider=provider)

    return make


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_paid_event_records_the_payment_and_settles_the_invoice(
    client, fake_provider, order_invoice, link_of, provider
):
    order, invoice = order_invoice
    link = link_of(provider)
    r = deliver(client, provider, *success_delivery(fake_provider, link))
    assert r.status_code == 200 and r.json()["outcomes"] == ["applied"]
    link.refresh_from_db()
    payment = Payment.objects.get()
    assert (link.status, link.payment) == (LinkStatus.PAID, payment)
    assert (payment.amount, payment.order, payment.customer) == (
        invoice.payable_amount,
        order,
        order.customer,
    )
    assert payment.bank_reference.startswith(f"{provider}:")
    allocation = Allocation.objects.get()
    assert allocation.credit_id == payment.credit_item_id and allocation.amount == payment.amount
    assert open_amount(invoice) == 0
    order.refresh_from_db()
    # the prepayment is paid; the goods are not invoiced yet
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID
    actions = list(
        Event.objects.filter(stream=f"orders.order:{order.pk}").values_list("action", flat=True)
    )
    assert "payments.link.paid" in actions and "billing.payment.received" in actions
    paid = Event.objects.get(action="payments.link.paid")
    assert paid.actor_name == "Платіжні сервіси"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_repeated_delivery_changes_nothing(client, fake_provider, link_of, provider):
    link = link_of(provider)
    body, headers = success_delivery(fake_provider, link)
    assert deliver(client, provider, body, headers).json()["outcomes"] == ["applied"]
    before = snapshot_db()
    for _ in range(3):
        r = deliver(client, provider, body, headers)
        assert r.status_code == 200 and r.json()["outcomes"] == ["duplicate"]
    assert snapshot_db() == before


@pytest.mark.parametrize("provider", PROVIDERS)
def test_processing_after_paid_and_failure_after_paid_change_nothing(
    client, fake_provider, link_of, provider
):
    link = link_of(provider)
    late_processing = delivery(fake_provider, link, "processing")
    late_failure = delivery(fake_provider, link, "failure")
    deliver(client, provider, *success_delivery(fake_provider, link))
    before = snapshot_db()
    assert deliver(client, provider, *late_processing).json()["outcomes"] == ["ignored"]
    assert deliver(client, provider, *late_failure).json()["outcomes"] == ["ignored"]
    after = snapshot_db()
    assert after["events"] == before["events"] + 2  # recorded as seen ...
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"
    }  # ... and nothing else
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_success_after_a_failure_applies(client, fake_provider, link_of, provider):
    link = link_of(provider)
    assert deliver(client, provider, *delivery(fake_provider, link, "processing")).json()[
        "outcomes"
    ] == ["applied"]
    link.refresh_from_db()
    assert link.status == LinkStatus.PROCESSING
    deliver(client, provider, *delivery(fake_provider, link, "failure"))
    link.refresh_from_db()
    assert link.status == LinkStatus.FAILED
    deliver(client, provider, *success_delivery(fake_provider, link))
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID and Payment.objects.count() == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_another_amount_is_held_for_review_not_applied(
    client, fake_provider, link_of, order_invoice, provider
):
    link = link_of(provider)
    r = deliver(
        client, provider, *success_delivery(fake_provider, link, amount=link.amount - Decimal("1"))
    )
    assert r.json()["outcomes"] == ["held"]
    hold = PaymentHold.objects.get()
    assert (hold.reason, hold.status, hold.amount) == (
        HoldReason.AMOUNT_MISMATCH,
        HoldStatus.OPEN,
        link.amount - 1,
    )
    assert not Payment.objects.exists() and open_amount(order_invoice[1]) == link.amount
    link.refresh_from_db()
    assert link.status == LinkStatus.HELD
    assert Event.objects.filter(action="payments.hold.created").exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_another_currency_is_held_for_review(client, fake_provider, link_of, provider):
    link = link_of(provider)
    r = deliver(client, provider, *success_delivery(fake_provider, link, currency="USD"))
    assert r.json()["outcomes"] == ["held"]
    assert PaymentHold.objects.get().reason == HoldReason.CURRENCY_MISMATCH
    assert not Payment.objects.exists()


def test_a_payment_for_an_invoice_paid_meanwhile_is_held(
    client, fake_provider, link_of, order_invoice, accountant
):
    order, _invoice = order_invoice
    link = link_of("monobank")
    payment_create(by=accountant, customer=order.customer, order=order, amount=Decimal("100"))
    r = deliver(client, "monobank", *success_delivery(fake_provider, link))
    assert r.json()["outcomes"] == ["held"]
    assert PaymentHold.objects.get().reason == HoldReason.OVERPAYMENT
    assert Payment.objects.count() == 1


def test_a_success_for_an_unknown_link_is_held_without_an_order(db, client, fake_provider):
    body, headers = fake_provider.liqpay_callback("od-not-ours", "success", amount="10")
    r = deliver(client, "liqpay", body, headers)
    assert r.status_code == 200 and r.json()["outcomes"] == ["unknown_reference"]
    hold = PaymentHold.objects.get()
    assert (hold.reason, hold.link, hold.order) == (HoldReason.REFERENCE_UNKNOWN, None, None)
    assert deliver(client, "liqpay", body, headers).json()["outcomes"] == ["duplicate"]
    assert PaymentHold.objects.count() == 1


def test_a_refund_of_a_paid_link_is_held_for_review(client, fake_provider, link_of):
    link = link_of("liqpay")
    deliver(client, "liqpay", *success_delivery(fake_provider, link))
    r = deliver(
        client,
        "liqpay",
        *fake_provider.liqpay_callback(link.reference, "reversed", amount=link.amount),
    )
    assert r.json()["outcomes"] == ["held"]
    assert PaymentHold.objects.get().reason == HoldReason.REFUND_REPORTED
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID and Payment.objects.count() == 1


def test_a_second_payment_for_a_paid_link_is_held(client, fake_provider, link_of):
    link = link_of("liqpay")
    deliver(client, "liqpay", *success_delivery(fake_provider, link, payment_id=501))
    deliver(client, "liqpay", *success_delivery(fake_provider, link, payment_id=502))
    assert PaymentHold.objects.get().reason == HoldReason.SECOND_PAYMENT
    assert Payment.objects.count() == 1


# --- refused deliveries ------------------------------------------------------------------------


def refused(client, provider, body, headers, status, code):
    before = snapshot_db()
    count = SecurityEvent.objects.count()
    r = deliver(client, provider, body, headers)
    assert (r.status_code, r.json()["code"]) == (status, code), r.content
    assert snapshot_db() == before
    assert SecurityEvent.objects.count() == count + 1
    return SecurityEvent.objects.latest("pk")


def test_forged_deliveries_are_refused_logged_and_change_nothing(
    client, fake_provider, link_of, caplog
):
    liq, mono, stripe = link_of("liqpay"), link_of("monobank"), link_of("stripe")
    body, headers = fake_provider.liqpay_callback(
        liq.reference, "success", amount=liq.amount, key="guessed"
    )
    with caplog.at_level("WARNING", logger="orderdesk.security"):
        event = refused(client, "liqpay", body, headers, 401, "signature_invalid")
    assert "payment webhook refused" in caplog.text
    assert (event.kind, event.provider, event.remote_addr) == (
        "signature_invalid",
        "liqpay",
        "127.0.0.1",
    )
    body, headers = success_delivery(fake_provider, mono)
    refused(
        client,
        "monobank",
        body.replace(b'"success"', b'"success" '),
        headers,
        401,
        "signature_invalid",
    )
    refused(
        client, "monobank", body, {"Content-Type": "application/json"}, 401, "signature_missing"
    )
    body, headers = success_delivery(fake_provider, stripe)
    refused(
        client,
        "stripe",
        body,
        fake_provider.stripe_resign(body, secret="whsec_guess"),
        401,
        "signature_invalid",
    )
    refused(client, "nopay", b"{}", {}, 404, "provider_unknown")


def test_a_stale_stripe_delivery_is_refused(client, fake_provider, link_of):
    link = link_of("stripe")
    body, _h = success_delivery(fake_provider, link)
    headers = fake_provider.stripe_resign(body, timestamp=int(time.time()) - 400)
    assert refused(client, "stripe", body, headers, 400, "event_stale").kind == "event_stale"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_genuine_event_dated_before_the_link_is_stale(client, fake_provider, link_of, provider):
    link = link_of(provider)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    body, headers = success_delivery(fake_provider, link, when=long_ago)
    refused(client, provider, body, headers, 400, "event_stale")
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE


def test_a_signed_body_that_is_not_an_event_is_malformed(db, client, fake_provider):
    body = json.dumps({"object": "list"}).encode()
    refused(client, "stripe", body, fake_provider.stripe_resign(body), 400, "event_malformed")


def test_webhooks_need_no_login_and_no_csrf_token(fake_provider, link_of):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    link = link_of("stripe")
    r = deliver(client, "stripe", *success_delivery(fake_provider, link))
    assert r.status_code == 200
    assert client.get("/payments/webhooks/stripe/").status_code == 405


# --- the review queue ---------------------------------------------------------------------------


def test_a_held_payment_is_recorded_by_hand_against_its_invoice(
    client, fake_provider, link_of, order_invoice, accountant
):
    order, invoice = order_invoice
    link = link_of("monobank")
    deliver(client, "monobank", *success_delivery(fake_provider, link, amount=link.amount - 5))
    hold = hold_apply(by=accountant, hold=PaymentHold.objects.get(), note="customer paid less")
    assert hold.status == HoldStatus.APPLIED and hold.payment.amount == link.amount - 5
    assert open_amount(invoice) == Decimal("5.00")
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID
    assert Event.objects.filter(
        stream=f"orders.order:{order.pk}", action="payments.hold.applied"
    ).exists()
    with pytest.raises(Exception, match="hold_resolved"):
        hold_apply(by=accountant, hold=hold)


def test_an_unknown_link_payment_needs_an_invoice_chosen_and_a_dismissal_needs_a_reason(
    client, fake_provider, order_invoice, accountant, manager
):
    _order, invoice = order_invoice
    deliver(client, "liqpay", *fake_provider.liqpay_callback("od-x", "success", amount="50.00"))
    hold = PaymentHold.objects.get()
    with pytest.raises(Exception, match="payments_not_permitted"):
        hold_apply(by=manager, hold=hold, invoice=invoice)
    with pytest.raises(Exception, match="hold_invoice_required"):
        hold_apply(by=accountant, hold=hold)
    with pytest.raises(Exception, match="resolution_reason_required"):
        hold_dismiss(by=accountant, hold=hold, reason=" ")
    hold_apply(by=accountant, hold=hold, invoice=invoice)
    assert open_amount(invoice) == invoice.payable_amount - Decimal("50.00")


def test_a_refund_hold_is_dismissed_not_recorded(client, fake_provider, link_of, accountant):
    link = link_of("liqpay")
    deliver(client, "liqpay", *success_delivery(fake_provider, link))
    deliver(
        client,
        "liqpay",
        *fake_provider.liqpay_callback(link.reference, "reversed", amount=link.amount),
    )
    hold = PaymentHold.objects.get()
    with pytest.raises(Exception, match="hold_is_refund"):
        hold_apply(by=accountant, hold=hold)
    hold = hold_dismiss(by=accountant, hold=hold, reason="payment reversed in billing")
    assert hold.status == HoldStatus.DISMISSED
    assert ProviderEvent.objects.count() == 2 and PaymentLink.objects.get().status == "paid"


def test_after_a_dismissed_hold_the_customer_may_pay_by_the_same_link(
    client, fake_provider, link_of, accountant
):
    link = link_of("liqpay")
    deliver(client, "liqpay", *success_delivery(fake_provider, link, amount=Decimal("1.00")))
    hold_dismiss(by=accountant, hold=PaymentHold.objects.get(), reason="refunded to the card")
    link.refresh_from_db()
    assert link.status == LinkStatus.FAILED
    deliver(client, "liqpay", *success_delivery(fake_provider, link, payment_id=9001))
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID and Payment.objects.get().amount == link.amount
