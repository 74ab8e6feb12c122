"""Billing REST API: documents, PDFs, payments (idempotent), import, allocations, statements,
and who may do what (the same rules as the pages, through the selectors and services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orderdesk.billing import pdf
from orderdesk.billing.models import Invoice, Payment
from orderdesk.billing.services import documents_for_confirmation, shipment_record
from orderdesk.orders.choices import FulfillmentStatus
from orderdesk.orders.services.progress import order_fulfillment_status_set

from .conftest import lines_of

TODAY = dt.date.today()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def shipped(half50_order, manager, storekeeper, company):
    documents_for_confirmation(by=manager, order=half50_order)
    docs = shipment_record(
        by=storekeeper, order=half50_order, lines=lines_of(half50_order), shipment_ref="SH-1"
    )
    return half50_order, docs


def test_seller_drafts_a_prepayment_invoice_the_accountant_posts_it(
    half50_manual_order, manager, accountant
):
    r = api(manager).post(
        "/api/v1/invoices/", {"order": half50_manual_order.pk, "kind": "prepayment"}, format="json"
    )
    assert r.status_code == 201, r.data
    pk = r.data["id"]
    assert r.data["status"] == "draft" and r.data["number"] == ""
    assert r.data["payable_amount"] == "600.00"
    r = api(manager).post(f"/api/v1/invoices/{pk}/post/")
    assert (r.status_code, r.data["code"]) == (403, "billing_not_permitted")
    r = api(accountant).post(f"/api/v1/invoices/{pk}/post/")
    assert r.status_code == 200 and r.data["number"] == f"РФ-{TODAY.year}-000001"
    assert r.data["instalments"][0]["open_item"]
    r = api(accountant).post(f"/api/v1/invoices/{pk}/post/")
    assert (r.status_code, r.data["code"]) == (409, "document_already_posted")
    r = api(accountant).patch(f"/api/v1/invoices/{pk}/", {"comment": "x"}, format="json")
    assert (r.status_code, r.data["code"]) == (409, "document_posted")
    r = api(accountant).delete(f"/api/v1/invoices/{pk}/")
    assert (r.status_code, r.data["code"]) == (409, "document_posted")
    r = api(accountant).post(
        f"/api/v1/invoices/{pk}/reverse/", {"reason": "помилка"}, format="json"
    )
    assert r.status_code == 200 and r.data["status"] == "reversed"


def test_invalid_invoice_requests(half50_order, accountant, manager):
    client = api(accountant)
    r = client.post("/api/v1/invoices/", {"order": half50_order.pk, "kind": "rent"}, format="json")
    assert r.data["code"] == "invoice_kind_invalid"
    r = client.post(
        "/api/v1/invoices/",
        {
            "order": half50_order.pk,
            "kind": "shipment",
            "lines": [{"line": half50_order.lines.get().pk, "quantity": "1"}],
        },
        format="json",
    )
    assert (r.status_code, r.data["code"]) == (400, "invoice_exceeds_shipped")
    r = client.post("/api/v1/invoices/", {"order": 999999, "kind": "order"}, format="json")
    assert r.data["code"] == "order_unknown"


def test_pdf_endpoints(shipped, manager):
    order, docs = shipped
    r = api(manager).get(f"/api/v1/invoices/{docs.invoice.pk}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    r = api(manager).get(f"/api/v1/delivery-notes/{docs.delivery_note.pk}/pdf/?lang=en")
    assert r.status_code == 200
    r = api(manager).get(f"/api/v1/customers/{order.customer_id}/statement/pdf/")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_pdf_unavailable_is_503_not_500(shipped, manager, monkeypatch):
    def broken():
        raise pdf.PdfUnavailable("PDF printing is not available on this server.")

    monkeypatch.setattr(pdf, "load_weasyprint", broken)
    r = api(manager).get(f"/api/v1/invoices/{shipped[1].invoice.pk}/pdf/")
    assert (r.status_code, r.data["code"]) == (503, "pdf_unavailable")


def test_payment_create_is_idempotent_and_refuses_bad_amounts(shipped, accountant):
    order, _docs = shipped
    client = api(accountant)
    body = {"customer": order.customer_id, "amount": "600.00", "bank_reference": "BR-1"}
    first = client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.data
    again = client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.data["id"] == first.data["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert first.data["allocations"][0]["amount"] == "600.00"
    r = client.post("/api/v1/payments/", {**body, "bank_reference": "BR-1"}, format="json")
    assert (r.status_code, r.data["code"]) == (400, "payment_duplicate")
    r = client.post(
        "/api/v1/payments/", {**body, "amount": "-5", "bank_reference": ""}, format="json"
    )
    assert (r.status_code, r.data["code"]) == (400, "amount_not_positive")
    r = client.post("/api/v1/payments/", {**body, "amount": "1.001"}, format="json")
    assert r.data["code"] == "validation_error"
    assert Payment.objects.count() == 1


def test_allocation_to_another_customers_invoice_is_refused(shipped, accountant, other_customer):
    order, docs = shipped
    client = api(accountant)
    r = client.post(
        "/api/v1/payments/",
        {"customer": other_customer.pk, "amount": "100", "allocate": "none"},
        format="json",
    )
    credit = Payment.objects.get(pk=r.data["id"]).credit_item_id
    debit = docs.invoice.instalments.get().open_item_id
    r = client.post(
        "/api/v1/allocations/", {"debit": debit, "credit": credit, "amount": "50"}, format="json"
    )
    assert (r.status_code, r.data["code"]) == (400, "allocation_other_customer")
    r = client.post(
        "/api/v1/payments/",
        {
            "customer": order.customer_id,
            "amount": "100",
            "allocate": "chosen",
            "allocations": [{"item": debit, "amount": "700"}],
        },
        format="json",
    )
    assert (r.status_code, r.data["code"]) == (400, "allocation_exceeds_open")


def test_statement_import_dry_run_and_commit(shipped, accountant, manager):
    order, _docs = shipped
    data = (
        "date,amount,payer_tax_id,bank_reference,purpose\n"
        f"{TODAY.isoformat()},600.00,{order.customer.tax_id},IMP-1,{order.number}\n"
    )
    client = api(accountant)
    r = client.post("/api/v1/payments/import/", {"data": data}, format="json")
    assert r.status_code == 200 and r.data["dry_run"] and r.data["ready"] == 1
    assert not Payment.objects.exists()
    r = client.post("/api/v1/payments/import/", {"data": data, "dry_run": False}, format="json")
    assert r.status_code == 201 and r.data["imported"] == 1
    bad = data.replace("600.00", "6OO")
    r = client.post(
        "/api/v1/payments/import/",
        {"data": bad.replace("IMP-1", "IMP-2"), "dry_run": False},
        format="json",
    )
    assert (r.status_code, r.data["code"]) == (400, "statement_invalid")
    assert r.data["fields"]["rows"][0]["errors"][0]["code"] == "amount_invalid"
    r = api(manager).post("/api/v1/payments/import/", {"data": data}, format="json")
    assert (r.status_code, r.data["code"]) == (403, "billing_not_permitted")


def test_statement_and_open_items(shipped, accountant):
    order, _docs = shipped
    r = api(accountant).get(f"/api/v1/customers/{order.customer_id}/statement/")
    assert r.status_code == 200
    assert r.data["closing"] == "1200.00" and len(r.data["rows"]) == 2
    r = api(accountant).get(f"/api/v1/open-items/?customer={order.customer_id}")
    assert {row["amount"] for row in r.data["results"]} == {"600.00"}
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    r = api(accountant).get(f"/api/v1/open-items/?as_of={past}")
    assert r.data["results"] == []
    r = api(accountant).get(
        f"/api/v1/customers/{order.customer_id}/statement/?date_from={TODAY}&date_to={past}"
    )
    assert r.data["code"] == "date_range_reversed"


# --- who sees and does what --------------------------------------------------------------------


def test_other_manager_sees_nothing_of_the_order(shipped, other_manager):
    order, docs = shipped
    client = api(other_manager)
    assert client.get(f"/api/v1/invoices/{docs.invoice.pk}/").status_code == 404
    assert client.get(f"/api/v1/invoices/{docs.invoice.pk}/pdf/").status_code == 404
    assert client.get("/api/v1/invoices/").data["results"] == []
    assert client.get(f"/api/v1/customers/{order.customer_id}/statement/").status_code == 404
    r = client.post("/api/v1/invoices/", {"order": order.pk, "kind": "prepayment"}, format="json")
    assert r.data["code"] == "order_unknown"


def test_credit_controller_reads_everything_and_changes_nothing(shipped, controller):
    order, docs = shipped
    client = api(controller)
    assert len(client.get("/api/v1/invoices/").data["results"]) == 2
    assert client.get(f"/api/v1/invoices/{docs.invoice.pk}/pdf/").status_code == 200
    r = client.post(f"/api/v1/invoices/{docs.invoice.pk}/reverse/", {"reason": "x"}, format="json")
    assert (r.status_code, r.data["code"]) == (403, "billing_not_permitted")
    r = client.post(
        "/api/v1/payments/", {"customer": order.customer_id, "amount": "1"}, format="json"
    )
    assert r.status_code == 403


def test_warehouse_sees_delivery_notes_of_released_orders_only(
    shipped, storekeeper, manager, half50_order
):
    order, docs = shipped
    client = api(storekeeper)
    # as the billing pages: the rest of billing is refused, not answered with empty lists
    for url in (
        "/api/v1/invoices/",
        f"/api/v1/invoices/{docs.invoice.pk}/",
        "/api/v1/payments/",
        "/api/v1/open-items/",
        "/api/v1/allocations/",
        f"/api/v1/customers/{order.customer_id}/statement/",
    ):
        refused = client.get(url)
        assert (refused.status_code, refused.data["code"]) == (403, "billing_not_permitted"), url
    notes = client.get("/api/v1/delivery-notes/").data["results"]
    assert [n["id"] for n in notes] == [docs.delivery_note.pk]  # the order has shipped
    order_fulfillment_status_set(by=manager, order=order, status=FulfillmentStatus.NOT_RELEASED)
    assert client.get("/api/v1/delivery-notes/").data["results"] == []
    assert client.get(f"/api/v1/delivery-notes/{docs.delivery_note.pk}/pdf/").status_code == 404


def test_sales_head_sees_the_teams_documents(shipped, head, manager):
    from django.contrib.auth.models import User

    from orderdesk.testing.factories import SalesTeamFactory

    _order, docs = shipped
    assert api(head).get(f"/api/v1/invoices/{docs.invoice.pk}/").status_code == 404
    team = SalesTeamFactory(head=head)
    team.members.add(manager)
    head_client = api(User.objects.get(pk=head.pk))  # a new request: the team is read again
    assert head_client.get(f"/api/v1/invoices/{docs.invoice.pk}/").status_code == 200
    assert Invoice.objects.count() == 2
    assert head_client.get("/api/v1/payments/").status_code == 200


def test_schema_lists_the_billing_endpoints(accountant):
    r = api(accountant).get("/api/schema/?format=json")
    paths = r.json()["paths"] if hasattr(r, "json") else {}
    for path in (
        "/api/v1/invoices/",
        "/api/v1/payments/import/",
        "/api/v1/allocations/",
        "/api/v1/customers/{id}/statement/",
        "/api/v1/open-items/",
    ):
        assert path in paths
    assert "409" in paths["/api/v1/invoices/{id}/post/"]["post"]["responses"]


def test_money_is_decimal_in_answers(shipped, accountant):
    r = api(accountant).get(f"/api/v1/invoices/{shipped[1].invoice.pk}/")
    assert Decimal(r.data["gross_amount"]) == Decimal("1200.00")
