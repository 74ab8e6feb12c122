"""Billing and ledger pages: what each role sees and may do, and the panels on the cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from orderdesk.billing.models import DocumentStatus, Invoice, InvoiceInstalment, Payment
from orderdesk.billing.services import (
    documents_for_confirmation,
    invoice_create_prepayment,
    payment_create,
    shipment_record,
)
from orderdesk.core.panels import render_panels

from .conftest import lines_of

TODAY = dt.date.today()


@pytest.fixture
def shipped(half50_order, manager, storekeeper, company):
    documents_for_confirmation(by=manager, order=half50_order)
    docs = shipment_record(by=storekeeper, order=half50_order, lines=lines_of(half50_order))
    return half50_order, docs


def login(client, user):
    client.force_login(user)
    return client


def test_pages_need_a_login(client, shipped):
    for url in (
        "/billing/",
        "/billing/payments/",
        f"/billing/invoices/{shipped[1].invoice.pk}/",
        f"/receivables/customers/{shipped[0].customer_id}/statement/",
    ):
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_accountant_lists_documents_and_posts_a_draft_from_the_card(
    client, half50_manual_order, accountant, company
):
    draft = invoice_create_prepayment(by=accountant, order=half50_manual_order)
    login(client, accountant)
    r = client.get("/billing/?type=invoices")
    assert r.status_code == 200 and half50_manual_order.number in r.content.decode()
    r = client.get(f"/billing/invoices/{draft.pk}/")
    assert r.status_code == 200 and "/post/" in r.content.decode()
    r = client.post(f"/billing/invoices/{draft.pk}/post/")
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DocumentStatus.POSTED
    r = client.post(f"/billing/invoices/{draft.pk}/post/")
    assert r.status_code == 409 and "document_already_posted" in r.content.decode()
    r = client.get(f"/billing/invoices/{draft.pk}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    r = client.post(f"/billing/invoices/{draft.pk}/reverse/", {"reason": ""})
    assert r.status_code == 400 and "reversal_reason_required" in r.content.decode()
    r = client.post(f"/billing/invoices/{draft.pk}/reverse/", {"reason": "помилка"})
    assert r.status_code == 302


def test_seller_sees_own_documents_drafts_a_prepayment_but_cannot_post(
    client, half50_order, manager
):
    login(client, manager)
    r = client.post(f"/billing/orders/{half50_order.pk}/prepayment-invoice/")
    assert r.status_code == 302
    invoice = Invoice.objects.get()
    r = client.get(f"/billing/invoices/{invoice.pk}/")
    assert r.status_code == 200 and "/post/" not in r.content.decode()
    r = client.post(f"/billing/invoices/{invoice.pk}/post/")
    assert r.status_code == 403 and "billing_not_permitted" in r.content.decode()
    assert client.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 200
    assert client.get("/billing/payments/new/").status_code == 403


def test_other_seller_gets_404(client, shipped, other_manager):
    login(client, other_manager)
    assert client.get(f"/billing/invoices/{shipped[1].invoice.pk}/").status_code == 404
    assert client.get(f"/billing/invoices/{shipped[1].invoice.pk}/pdf/").status_code == 404
    assert client.post(f"/billing/orders/{shipped[0].pk}/prepayment-invoice/").status_code == 404
    r = client.get(f"/receivables/customers/{shipped[0].customer_id}/statement/")
    assert r.status_code == 404


def test_warehouse_sees_only_delivery_notes(client, shipped, storekeeper):
    _order, docs = shipped
    login(client, storekeeper)
    r = client.get("/billing/")
    assert r.status_code == 200 and docs.delivery_note.number in r.content.decode()
    assert client.get("/billing/?type=invoices").status_code == 403
    assert client.get(f"/billing/invoices/{docs.invoice.pk}/").status_code == 404
    assert client.get(f"/billing/delivery-notes/{docs.delivery_note.pk}/pdf/").status_code == 200
    assert client.get("/billing/payments/").status_code == 403


def test_credit_controller_reads_but_cannot_post(client, shipped, controller):
    login(client, controller)
    assert client.get("/billing/?type=invoices").status_code == 200
    r = client.post(f"/billing/invoices/{shipped[1].invoice.pk}/reverse/", {"reason": "x"})
    assert r.status_code == 403
    assert client.get("/billing/payments/").status_code == 200


def test_payment_entry_and_the_allocation_screen(client, shipped, accountant):
    order, _docs = shipped
    login(client, accountant)
    r = client.post(
        "/billing/payments/new/",
        {
            "customer": order.customer_id,
            "payment_date": TODAY.isoformat(),
            "amount": "1000",
            "currency": "UAH",
            "bank_reference": "P-1",
            "allocate": "none",
        },
    )
    assert r.status_code == 302
    payment = Payment.objects.get()
    r = client.get(f"/billing/payments/{payment.pk}/")
    assert r.status_code == 200 and "amount_" in r.content.decode()
    debits = [i.open_item_id for i in InvoiceInstalment.objects.order_by("due_date", "pk")]
    r = client.post(
        f"/billing/payments/{payment.pk}/allocate/",
        {f"amount_{debits[0]}": "600", f"amount_{debits[1]}": "900"},
    )
    assert r.status_code == 400 and "allocation_exceeds_open" in r.content.decode()
    payment.credit_item.refresh_from_db()
    assert payment.credit_item.open_amount == Decimal("1000.00")  # nothing half-done
    r = client.post(
        f"/billing/payments/{payment.pk}/allocate/",
        {f"amount_{debits[0]}": "600", f"amount_{debits[1]}": "400"},
    )
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == "partially_paid"
    r = client.post(
        "/billing/payments/new/",
        {
            "customer": order.customer_id,
            "payment_date": TODAY.isoformat(),
            "amount": "-1",
            "currency": "UAH",
            "allocate": "auto",
        },
    )
    assert r.status_code == 400 and "amount_not_positive" in r.content.decode()


def test_statement_import_preview_then_confirm(client, shipped, accountant):
    order, _docs = shipped
    login(client, accountant)
    text = (
        "date;amount;payer_tax_id;bank_reference;purpose\n"
        f"{TODAY:%d.%m.%Y};1200,00;{order.customer.tax_id};S-1;{order.number}\n"
    )
    upload = SimpleUploadedFile("statement.csv", text.encode("cp1251"), "text/csv")
    r = client.post(
        "/billing/payments/import/",
        {
            "file": upload,
            "map_date": "date",
            "map_amount": "amount",
            "map_payer_tax_id": "payer_tax_id",
            "map_bank_reference": "bank_reference",
            "map_purpose": "purpose",
        },
    )
    assert r.status_code == 200 and "S-1" in r.content.decode()
    assert not Payment.objects.exists()
    r = client.post("/billing/payments/import/", {"confirm": "1"})
    assert r.status_code == 200
    assert Payment.objects.get().order == order
    order.refresh_from_db()
    assert order.payment_status == "paid"


def test_cash_receipt_page(client, half50_order, accountant):
    login(client, accountant)
    r = client.post(
        "/billing/cash-receipts/new/",
        {
            "customer": half50_order.customer_id,
            "order": half50_order.pk,
            "amount": "100",
            "currency": "UAH",
            "received_from": "Петренко",
        },
    )
    assert r.status_code == 302


def test_order_card_panel_shows_documents_payments_and_the_schedule(
    rf: RequestFactory, shipped, manager, accountant
):
    order, docs = shipped
    payment_create(by=accountant, customer=order.customer, amount=Decimal("600"))
    request = rf.get("/")
    request.user = manager
    html = render_panels("order_card", request, order)
    assert docs.invoice.number in html and docs.delivery_note.number in html
    assert "PAY-" in html and "/pdf/" in html
    assert "Payment schedule" in html or "Графік" in html


def test_order_card_panel_for_the_warehouse_shows_delivery_notes_only(rf, shipped, storekeeper):
    order, docs = shipped
    request = rf.get("/")
    request.user = storekeeper
    html = render_panels("order_card", request, order)
    assert docs.delivery_note.number in html and docs.invoice.number not in html


def test_customer_card_panels_show_balance_and_open_items(rf, shipped, accountant):
    order, docs = shipped
    request = rf.get("/")
    request.user = accountant
    html = render_panels("customer_card", request, order.customer)
    assert "1\xa0200,00" in html or "1,200.00" in html or "1200" in html.replace("\xa0", "")
    assert docs.invoice.number in html
    assert f"/receivables/customers/{order.customer_id}/statement/" in html


def test_statement_page_and_open_items(client, shipped, accountant):
    order, _docs = shipped
    login(client, accountant)
    r = client.get(f"/receivables/customers/{order.customer_id}/statement/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "/billing/customers/" in body and "statement.pdf" in body
    r = client.get(f"/billing/customers/{order.customer_id}/statement.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.get(f"/receivables/open-items/?as_of={TODAY.isoformat()}")
    assert r.status_code == 200
