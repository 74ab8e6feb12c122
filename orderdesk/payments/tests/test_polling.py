"""Status polling, the fallback for lost webhooks: the same apply function, the same dedup key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from orderdesk.billing.models import Payment
from orderdesk.payments.choices import LinkStatus
from orderdesk.payments.models import PaymentLink, ProviderEvent
from orderdesk.payments.services import payment_link_create, poll_payment_links

from .conftest import deliver, success_delivery

PROVIDERS = ["liqpay", "monobank", "stripe"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_lost_webhook_is_caught_by_the_poll_and_the_late_webhook_is_a_duplicate(
    client, fake_provider, order_invoice, accountant, provider
):
    link = payment_link_create(by=accountant, invoice=order_invoice[1], provider=provider)
    body, headers = success_delivery(fake_provider, link)  # the provider's state changes ...
    # ... but the webhook is lost; the poll finds the payment
    result = poll_payment_links()
    assert result.outcomes["applied"] == 1 and not result.errors
    link.refresh_from_db()
    assert link.status == LinkStatus.PAID and Payment.objects.count() == 1
    event = ProviderEvent.objects.get()
    assert event.via == "poll"
    # the webhook arrives after all: the same event id, nothing happens twice
    r = deliver(client, provider, body, headers)
    assert r.json()["outcomes"] == ["duplicate"]
    assert Payment.objects.count() == 1 and ProviderEvent.objects.count() == 1
    # polling again asks no more about a paid link
    assert poll_payment_links().polled == 0


def test_poll_before_any_payment_changes_nothing(fake_provider, order_invoice, accountant):
    for provider in PROVIDERS:
        payment_link_create(by=accountant, invoice=order_invoice[1], provider=provider)
    result = poll_payment_links()
    assert result.polled == 3 and result.errors == []
    assert not ProviderEvent.objects.filter(outcome="applied").exists()
    assert not Payment.objects.exists()
    assert all(link.last_polled_at for link in PaymentLink.objects.all())


def test_a_link_stuck_in_creating_is_issued_again_by_the_poll(
    fake_provider, order_invoice, accountant
):
    link = payment_link_create(by=accountant, invoice=order_invoice[1], provider="stripe")
    # as if the process died after the first commit: no answer stored
    PaymentLink.objects.filter(pk=link.pk).update(
        status=LinkStatus.CREATING,
        url="",
        provider_ref="",
        created_at=link.created_at - dt.timedelta(minutes=5),
    )
    result = poll_payment_links()
    assert result.resumed == 1
    link.refresh_from_db()
    # Stripe took our reference as the Idempotency-Key: the same session comes back
    assert link.status == LinkStatus.ACTIVE and link.provider_ref in fake_provider.sessions
    assert len(fake_provider.sessions) == 1


def test_an_expired_link_is_expired_once_after_the_provider_calls_it_unpaid(
    fake_provider, order_invoice, accountant
):
    link = payment_link_create(by=accountant, invoice=order_invoice[1], provider="monobank")
    PaymentLink.objects.filter(pk=link.pk).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    assert poll_payment_links().expired == 1
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    assert ProviderEvent.objects.filter(event_id=f"local:{link.reference}:expired").count() == 1
    assert poll_payment_links().expired == 0  # not asked about again


def test_the_poll_command_reports_what_it_did(fake_provider, order_invoice, accountant, capsys):
    link = payment_link_create(by=accountant, invoice=order_invoice[1], provider="liqpay")
    success_delivery(fake_provider, link)
    call_command("poll_payment_links")
    out = capsys.readouterr().out
    assert "polled 1" in out and "applied 1" in out


def test_a_provider_that_fails_during_the_poll_is_reported_not_raised(
    fake_provider, order_invoice, accountant
):
    payment_link_create(by=accountant, invoice=order_invoice[1], provider="monobank")
    fake_provider.fail_with = 503
    result = poll_payment_links()
    assert result.errors == ["monobank: provider_refused"]
