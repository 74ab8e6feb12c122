"""The issue's "done when": about 1 000 deliveries of 200 events, duplicated and shuffled,
across the three providers, record each payment exactly once with totals to the cent; 100
forged or stale deliveries, mixed in, change nothing.

Every delivery goes through the Django test client to /payments/webhooks/<provider>/, signed
by the local fake provider (loopback only) with the test keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import time
from collections import Counter
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import ec

from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.billing.models import Payment
from orderdesk.core.money import ZERO
from orderdesk.payments.choices import LinkStatus
from orderdesk.payments.models import PaymentHold, PaymentLink, ProviderEvent, SecurityEvent
from orderdesk.payments.services import payment_link_create
from orderdesk.payments.services._common import open_amount
from orderdesk.testing.factories import CustomerFactory

from .conftest import deliver, delivery, invoiced_order, success_delivery

PROVIDERS = ("liqpay", "monobank", "stripe")
LINKS_PER_PROVIDER = 20  # 60 paid links
VICTIMS_PER_PROVIDER = 3  # unpaid links the forged deliveries try to mark paid
COPIES = 5
TIME_LIMIT = 240  # seconds, for the whole test


def later_processing(fake, link):
    """A "still processing" event that arrives after the payment (a new event id)."""
    if link.provider == "liqpay":
        return fake.liqpay_callback(link.reference, "3ds_verify", amount=link.amount)
    return delivery(fake, link, "processing")


def forged_deliveries(fake, victims, now_links):
    """100 deliveries that must not be taken: 10 kinds x 10."""
    liq = [v for v in victims if v.provider == "liqpay"]
    mono = [v for v in victims if v.provider == "monobank"]
    stripe = [v for v in victims if v.provider == "stripe"]
    stranger = ec.generate_private_key(ec.SECP256K1())
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    out = []
    for i in range(10):
        a, b, c = liq[i % len(liq)], mono[i % len(mono)], stripe[i % len(stripe)]
        # LiqPay signed with a guessed key
        out.append(
            ("liqpay", *fake.liqpay_callback(a.reference, "success", amount=a.amount, key="x"))
        )
        # LiqPay: genuine signature, data swapped for a bigger amount
        body, headers = fake.liqpay_callback(a.reference, "success", amount=a.amount)
        data = base64.b64encode(
            f'{{"order_id":"{a.reference}","status":"success","amount":99999}}'.encode()
        ).decode()
        sig = body.decode().split("signature=")[1]
        out.append(("liqpay", f"data={data}&signature={sig}".encode(), headers))
        # LiqPay without a signature
        out.append(("liqpay", body.split(b"&signature=")[0], headers))
        # monobank signed by a stranger's key
        out.append(("monobank", *fake.mono_webhook(b.provider_ref, "success", key=stranger)))
        # monobank: a genuine body with the amount changed after signing
        body, headers = fake.mono_webhook(b.provider_ref, "success")
        out.append(("monobank", body.replace(b'"amount": ', b'"amount": 1'), headers))
        # monobank without X-Sign
        out.append(("monobank", body, {"Content-Type": "application/json"}))
        # Stripe signed with a guessed secret
        body, _h = fake.stripe_webhook(
            c.provider_ref, "checkout.session.completed", payment_status="paid"
        )
        out.append(("stripe", body, fake.stripe_resign(body, secret="whsec_guessed")))
        # Stripe replayed after the 300 s tolerance
        out.append(("stripe", body, fake.stripe_resign(body, timestamp=int(time.time()) - 900)))
        # Stripe: the body changed after signing
        out.append(
            ("stripe", body.replace(b'"payment_status": "paid"', b'"payment_status":"paid"'), _h)
        )
        # a genuinely signed event dated before its link existed (stale)
        victim = victims[i % len(victims)]
        out.append((victim.provider, *success_delivery(fake, victim, when=long_ago)))
    assert len(out) == 100
    return out


def test_a_thousand_shuffled_deliveries_record_each_payment_once_to_the_cent(
    client, fake_provider, manager, priced_product, price_list, accountant
):
    started = time.monotonic()
    rng = random.Random(20261108)
    # given 69 posted invoices with amounts in kopiykas, one payment link on each
    links: list[PaymentLink] = []
    victims: list[PaymentLink] = []
    customers = [CustomerFactory(manager=manager) for _ in range(6)]
    for i in range(3 * (LINKS_PER_PROVIDER + VICTIMS_PER_PROVIDER)):
        _order, invoice = invoiced_order(
            manager, customers[i % 6], priced_product, price_list, quantity=1 + i % 17
        )
        provider = PROVIDERS[i % 3]
        link = payment_link_create(by=accountant, invoice=invoice, provider=provider)
        (victims if i >= 3 * LINKS_PER_PROVIDER else links).append(link)

    # when the providers send 200 distinct events about the 60 paid links ...
    events = []
    for n, link in enumerate(links):
        events.append((link.provider, *delivery(fake_provider, link, "processing")))
        if n % 3:
            events.append((link.provider, *delivery(fake_provider, link, "failure")))
        events.append((link.provider, *success_delivery(fake_provider, link)))
        if n % 3:
            events.append((link.provider, *later_processing(fake_provider, link)))
    assert len(events) == 200
    # ... each delivered five times, shuffled, with 100 forged or stale ones mixed in
    genuine = [(e, True) for e in events for _ in range(COPIES)]
    forged = [(e, False) for e in forged_deliveries(fake_provider, victims, links)]
    deliveries = genuine + forged
    rng.shuffle(deliveries)
    assert len(genuine) == 1000

    outcomes: Counter = Counter()
    statuses: Counter = Counter()
    for (provider, body, headers), is_genuine in deliveries:
        r = deliver(client, provider, body, headers)
        statuses[(is_genuine, r.status_code)] += 1
        if r.status_code == 200:
            outcomes.update(r.json()["outcomes"])
        else:
            outcomes[r.json()["code"]] += 1

    # then every genuine delivery was taken and every forged or stale one refused
    assert statuses[(True, 200)] == 1000
    assert statuses[(False, 401)] + statuses[(False, 400)] == 100
    assert SecurityEvent.objects.count() == 100
    assert outcomes["duplicate"] == 800 and sum(outcomes[k] for k in ("applied", "ignored")) == 200
    # each event is recorded once, each payment exactly once, totals to the cent
    assert ProviderEvent.objects.count() == 200
    assert not PaymentHold.objects.exists()
    payments = list(Payment.objects.all())
    assert len(payments) == len(links) == 60
    assert len({p.bank_reference for p in payments}) == 60
    expected = sum((link.amount for link in links), ZERO)
    assert sum((p.amount for p in payments), ZERO) == expected
    for link in links:
        link.refresh_from_db()
        assert link.status == LinkStatus.PAID and link.payment.amount == link.amount
        assert open_amount(link.invoice) == Decimal("0.00")
    checked, broken = verify_chain([stream_of(link.order) for link in links])
    assert checked > 0 and broken is None
    # the victims of the forged deliveries are untouched
    for victim in victims:
        victim.refresh_from_db()
        assert victim.status == LinkStatus.ACTIVE and victim.payment_id is None
        assert not victim.events.exists()
    assert time.monotonic() - started < TIME_LIMIT
