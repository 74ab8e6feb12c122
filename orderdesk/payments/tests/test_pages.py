"""Payment pages: what each role sees and may do; links, payments, holds and payout lines on
the invoice, order and customer pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orderdesk.payments.models import PaymentHold, PaymentLink, PayoutLine, PayoutReport
from orderdesk.payments.services import intermediary_create, payment_link_create
from orderdesk.testing.factories import UserFactory

from .conftest import deliver, success_delivery


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def paid_link(client, fake_provider, order_invoice, accountant):
    link = payment_link_create(by=accountant, invoice=order_invoice[1], provider="stripe")
    deliver(client, "stripe", *success_delivery(fake_provider, link))
    link.refresh_from_db()
    return link


def test_pages_need_a_login(client, order_invoice):
    for url in ("/payments/", "/payments/review/", f"/payments/invoices/{order_invoice[1].pk}/"):
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_the_seller_creates_a_link_from_the_order_card_and_sees_it_there(
    client, fake_provider, order_invoice, manager
):
    order, invoice = order_invoice
    login(client, manager)
    page = client.get(f"/orders/{order.pk}/")
    assert "Card payments and intermediaries" in page.text
    assert f"/payments/invoices/{invoice.pk}/links/" in page.text
    r = client.post(
        f"/payments/invoices/{invoice.pk}/links/",
        {"provider": "monobank", "next": f"/orders/{order.pk}/"},
    )
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.pk}/"
    link = PaymentLink.objects.get()
    page = client.get(f"/orders/{order.pk}/")
    assert link.reference in page.text and link.url in page.text
    assert "Payment link created" in page.text  # the timeline


def test_the_invoice_page_shows_links_payments_and_holds(
    client, fake_provider, paid_link, accountant, order_invoice
):
    _order, invoice = order_invoice
    login(client, accountant)
    page = client.get(f"/payments/invoices/{invoice.pk}/")
    assert page.status_code == 200
    assert paid_link.reference in page.text and paid_link.payment.number in page.text
    link_page = client.get(f"/payments/links/{paid_link.pk}/")
    assert "checkout.session.completed" in link_page.text


def test_the_customer_card_shows_the_links(client, paid_link, accountant, customer):
    login(client, accountant)
    page = client.get(f"/customers/{customer.pk}/")
    assert "Card payments and intermediaries" in page.text and paid_link.reference in page.text


def test_another_seller_sees_nothing_and_may_not_link(
    client, fake_provider, paid_link, other_manager, order_invoice
):
    _order, invoice = order_invoice
    login(client, other_manager)
    assert client.get(f"/payments/invoices/{invoice.pk}/").status_code == 404
    assert client.get(f"/payments/links/{paid_link.pk}/").status_code == 404
    assert paid_link.reference not in client.get("/payments/").text
    r = client.post(f"/payments/invoices/{invoice.pk}/links/", {"provider": "liqpay"})
    assert r.status_code == 404
    assert client.get("/payments/review/").status_code == 403


def test_the_warehouse_has_no_payment_pages(client, order_invoice):
    login(client, UserFactory(username="wh", roles=["warehouse"]))
    assert client.get("/payments/").status_code == 403


def test_a_refused_link_shows_the_reason_on_the_invoice_page(
    client, fake_provider, order_invoice, accountant
):
    _order, invoice = order_invoice
    fake_provider.fail_with = 500
    login(client, accountant)
    r = client.post(f"/payments/invoices/{invoice.pk}/links/", {"provider": "stripe"})
    assert r.status_code == 400 and "provider_refused" in r.text


def test_the_accountant_resolves_holds_and_lines_on_the_review_page(
    client, fake_provider, order_invoice, accountant
):
    _order, invoice = order_invoice
    link = payment_link_create(by=accountant, invoice=invoice, provider="liqpay")
    deliver(client, "liqpay", *success_delivery(fake_provider, link, amount=Decimal("1.00")))
    hold = PaymentHold.objects.get()
    login(client, accountant)
    page = client.get("/payments/review/")
    assert f"hold-{hold.pk}" in page.text
    r = client.post(f"/payments/holds/{hold.pk}/dismiss/", {"reason": ""})
    assert r.status_code == 400 and "resolution_reason_required" in r.text
    r = client.post(f"/payments/holds/{hold.pk}/apply/", {"number": invoice.number})
    assert r.status_code == 302
    hold.refresh_from_db()
    assert hold.status == "applied"


def test_the_payout_import_page_previews_then_imports(client, accountant, order_invoice):
    order, invoice = order_invoice
    carrier = intermediary_create(by=accountant, name="Нова Пошта", kind="cod_carrier")
    login(client, accountant)
    csv = f"ttn;order;date;paid\nTTN1;{order.number};01.01.2099;{invoice.payable_amount}\nTTN2;;01.01.2099;10.00\n"
    form = {
        "file": SimpleUploadedFile("np.csv", csv.encode("cp1251")),
        "number": "NP-1",
        "col_reference": "ttn",
        "col_order_number": "order",
        "col_date": "date",
        "col_gross": "paid",
    }
    r = client.post(f"/payments/intermediaries/{carrier.pk}/import/", form)
    assert r.status_code == 200 and "Preview" in r.text and "to review" in r.text
    assert not PayoutReport.objects.exists()
    r = client.post(f"/payments/intermediaries/{carrier.pk}/import/", {"confirm": "1"})
    report = PayoutReport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/payments/payout-reports/{report.pk}/"
    lines = {line.reference: line for line in PayoutLine.objects.all()}
    assert lines["TTN1"].status == "matched" and lines["TTN2"].status == "unmatched"
    page = client.get(f"/orders/{order.pk}/")
    assert "Paid through intermediaries" in page.text and "NP-1" in page.text
    r = client.post(f"/payments/payout-lines/{lines['TTN2'].pk}/dismiss/", {"reason": "not ours"})
    assert r.status_code == 302
    assert client.get(f"/payments/intermediaries/{carrier.pk}/").status_code == 200
    assert client.get(f"/payments/payout-reports/{report.pk}/").status_code == 200


def test_the_accountant_creates_an_intermediary_from_its_page(client, accountant, manager):
    login(client, accountant)
    r = client.post(
        "/payments/intermediaries/new/",
        {
            "code": "prom",
            "name": "Prom.ua",
            "kind": "marketplace",
            "currency": "UAH",
            "commission_percent": "3,5",
            "commission_fixed": "0",
            "col_order_number": "Номер",
        },
    )
    assert r.status_code == 302, r.content
    login(client, manager)
    assert client.get("/payments/intermediaries/").status_code == 403


def test_the_return_page_shows_only_the_state(client, paid_link):
    r = client.get(f"/payments/return/{paid_link.reference}/")
    assert r.status_code == 200 and "payment is received" in r.text
    assert paid_link.customer.legal_name not in r.text
    assert client.get("/payments/return/odnothing/").status_code == 404


def test_the_pages_are_ukrainian_by_default(settings, client, paid_link, accountant):
    from django.utils import translation

    settings.LANGUAGE_CODE = "uk"
    login(client, accountant)
    with translation.override("uk"):
        page = client.get("/payments/").content.decode()
        card = client.get(f"/orders/{paid_link.order_id}/").content.decode()
    assert "Посилання на оплату" in page and "Оплачено" in page
    assert "Оплати карткою та через посередників" in card and "Оплачено карткою" in card


def test_the_payments_catalogue_is_complete():
    from pathlib import Path

    po = Path(__file__).parents[1] / "locale" / "uk" / "LC_MESSAGES" / "django.po"
    entries = po.read_text(encoding="utf-8").split("\n\n")[1:]
    assert entries and not [e for e in entries if e.rstrip().endswith('msgstr ""')]
