"""No external call inside a transaction: the payment services' calls, watched.

The payment adapters (orderdesk.payments.providers) are the code that calls out: LiqPay,
monobank acquiring and Stripe over HTTPS. This step points all three at the payments tests'
fake provider (`orderdesk.payments.tests.fake_provider`: one threading HTTP server on
127.0.0.1, a free port, stopped at the end), watches every outbound TCP connect of this
process (`socket.socket.connect`; the database drivers connect in C, never through it) and
notes for each whether a database transaction was open at that moment
(`connection.in_atomic_block`, or autocommit off).

What it runs, through the same doors a user or a provider takes (bounded: about ten calls,
the providers' timeout from the fake's settings, a 60 s budget for the whole step):

1. a prepaid order for a bench customer, confirmed: billing posts its prepayment invoice;
2. a payment link per provider for that invoice — LiqPay through the invoice page's form,
   monobank through the REST API, Stripe through the service (three creations: each asks its
   provider for the checkout page);
3. monobank's "paid" webhook posted to our endpoint (verifying it fetches the bank's public
   key: an outbound call made while the delivery is handled);
4. the status poll (`poll_payment_links`): LiqPay and Stripe are asked for their links' state.

Import only after django.setup() (bench.phases does that).
"""

from __future__ import annotations

import json
import socket
import time
import traceback
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

BUDGET_SECONDS = 60.0
PAY_TAX_ID = "39999998"


class Watch:
    """Every outbound connect while installed: (address, transaction open?, where)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._original = socket.socket.connect

    def __enter__(self) -> Watch:
        watch, original = self, self._original

        def connect(sock, address):
            watch.calls.append(
                {"address": _address(address), "in_transaction": _in_transaction(),
                 "where": _where()}
            )  # fmt: skip
            return original(sock, address)

        socket.socket.connect = connect
        return self

    def __exit__(self, *exc) -> None:
        socket.socket.connect = self._original


def _address(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _in_transaction() -> bool:
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            return True
        if conn.connection is not None and not conn.get_autocommit():
            return True
    return False


def _where() -> str:
    """The innermost orderdesk frames that led to the call, outside the HTTP helper: the
    adapter's method and the service that called it (file:line function)."""
    found = []
    for frame in reversed(traceback.extract_stack()[:-2]):
        name = frame.filename.split("/orderdesk/", 1)
        if len(name) == 2 and "/tests/" not in name[1] and not name[1].endswith("base.py"):
            found.append(f"{name[1]}:{frame.lineno} {frame.name}")
            if len(found) == 2:
                break
    return " < ".join(found) or "?"


def _setup(hot_user_id: int, product_ids: list[int]):
    """A bench customer on prepayment (its own contract on the bench price list), the bench
    accountant; idempotent."""
    from orderdesk.customers.models import Customer, PaymentMethod, PaymentTerms
    from orderdesk.pricing.models import Contract, PriceList

    manager = User.objects.get(pk=hot_user_id)
    accountant, _c = User.objects.get_or_create(
        username="bench.accountant",
        defaults={"first_name": "Бенч", "last_name": "Бухгалтер", "password": "!bench"},
    )
    accountant.groups.add(Group.objects.get(name="accountant"))
    customer, _c = Customer.objects.get_or_create(
        tax_id=PAY_TAX_ID,
        defaults={
            "legal_name": "ТОВ «Передплата»",
            "short_name": "Передплата",
            "manager": manager,
            "delivery_address": "м. Київ, вул. Хрещатик, 2",
        },
    )
    price_list = PriceList.objects.get(code="BENCH-WHOLESALE")
    contract = Contract.objects.filter(customer=customer, is_default=True).first()
    if contract is None:
        today = timezone.localdate()
        contract = Contract.objects.create(
            customer=customer,
            number="PAY/1",
            date=today.replace(month=1, day=1),
            valid_from=today.replace(year=2020, month=1, day=1),
            currency_id=price_list.currency_id,
            price_list=price_list,
            payment_terms=PaymentTerms.objects.get(code="prepay100"),
            payment_method=PaymentMethod.objects.get(code="bank"),
            is_default=True,
        )
    return manager, accountant, customer, contract


def measure(*, hot_user_id: int | None = None, product_ids: list[int] | None = None) -> dict:
    """Run the steps above; returns every outbound call with its verdict and what each step
    answered. `misses` lists the calls made inside a transaction (the figure: none)."""
    from orderdesk.billing.models import DocumentStatus, Invoice
    from orderdesk.orders.services import LineInput, order_confirm, order_create
    from orderdesk.payments.models import PaymentLink
    from orderdesk.payments.services import payment_link_create, poll_payment_links
    from orderdesk.payments.tests.fake_provider import FakeProvider

    from .clients import prepare_hot

    if hot_user_id is None or product_ids is None:
        hot = prepare_hot()
        hot_user_id, product_ids = hot.user_id, hot.product_ids
    started = time.perf_counter()
    out: dict[str, Any] = {"steps": {}}
    fake = FakeProvider().start()
    try:
        with override_settings(PAYMENT_PROVIDERS=fake.settings()), Watch() as watch:
            out["fake_provider"] = fake.base_url
            manager, accountant, customer, contract = _setup(hot_user_id, product_ids)
            order = order_create(
                by=manager,
                customer=customer,
                contract=contract,
                lines=[LineInput(product=p, quantity=Decimal("3")) for p in product_ids[:2]],
            )
            order = order_confirm(by=manager, order=order)
            invoice = Invoice.objects.filter(order=order, status=DocumentStatus.POSTED).first()
            out["steps"]["prepaid order"] = f"{order.number}: {order.status}, invoice " + (
                invoice.number if invoice else "none"
            )
            if invoice is None:
                raise RuntimeError("confirming a prepaid order posted no invoice")

            page = Client()
            page.force_login(accountant)
            r = page.post(
                reverse("payments:link_create", args=[invoice.pk]), {"provider": "liqpay"}
            )
            out["steps"]["liqpay link (page)"] = r.status_code
            _budget(started)
            api = Client()
            api.force_login(accountant)
            r = api.post(
                reverse("api-payment-links"),
                json.dumps({"invoice": invoice.pk, "provider": "monobank"}),
                content_type="application/json",
            )
            out["steps"]["monobank link (API)"] = r.status_code
            _budget(started)
            link = payment_link_create(by=accountant, invoice=invoice, provider="stripe")
            out["steps"]["stripe link (service)"] = link.status
            _budget(started)

            mono = PaymentLink.objects.filter(invoice=invoice, provider="monobank").first()
            if mono is None or not mono.provider_ref:
                raise RuntimeError(f"no monobank link was issued ({out['steps']})")
            body, headers = fake.mono_webhook(
                mono.provider_ref, "success", amount=mono.amount, currency=mono.currency_id
            )
            r = Client().post(
                reverse("payments:webhook", args=["monobank"]),
                data=body,
                content_type="application/json",
                headers={k: v for k, v in headers.items() if k != "Content-Type"},
            )
            out["steps"]["monobank webhook"] = f"{r.status_code} {r.content[:80].decode()}"
            _budget(started)
            polled = poll_payment_links(limit=10)
            out["steps"]["status poll"] = {
                "polled": polled.polled,
                "outcomes": dict(polled.outcomes),
                "errors": polled.errors,
            }
        calls = watch.calls
    finally:
        fake.stop()
        connections.close_all()
    out["calls"] = len(calls)
    out["served"] = len(fake.calls)  # what the fake provider answered
    out["calls_list"] = calls
    out["misses"] = [c for c in calls if c["in_transaction"]]
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out


def _budget(started: float) -> None:
    if time.perf_counter() - started > BUDGET_SECONDS:
        raise RuntimeError(f"the external-call step ran over its {BUDGET_SECONDS:.0f} s budget")
