"""Payments API: the same rules as the pages, errors as {code, detail, fields}."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orderdesk.payments.models import PaymentHold, PayoutLine
from orderdesk.testing.factories import IntermediaryFactory

from .conftest import deliver, success_delivery


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_a_seller_creates_a_link_for_an_own_invoice_and_reads_it(
    api, fake_provider, order_invoice, manager
):
    order, invoice = order_invoice
    r = as_user(api, manager).post(
        "/api/v1/payment-links/", {"invoice": invoice.pk, "provider": "stripe"}, format="json"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "active" and body["url"].startswith(fake_provider.base_url)
    assert Decimal(body["amount"]) == invoice.payable_amount and body["currency"] == "UAH"
    again = api.post(
        "/api/v1/payment-links/", {"invoice": invoice.pk, "provider": "stripe"}, format="json"
    )
    assert again.json()["id"] == body["id"]  # the usable link, not a second one
    listed = api.get(f"/api/v1/payment-links/?order={order.pk}").json()
    assert [link["id"] for link in listed["results"]] == [body["id"]]
    detail = api.get(f"/api/v1/payment-links/{body['id']}/").json()
    assert detail["events"] == []


def test_errors_have_stable_codes(api, fake_provider, order_invoice, manager, other_manager):
    _order, invoice = order_invoice
    as_user(api, other_manager)
    r = api.post(
        "/api/v1/payment-links/", {"invoice": invoice.pk, "provider": "liqpay"}, format="json"
    )
    assert (r.status_code, r.json()["code"]) == (404, "document_not_found")
    as_user(api, manager)
    r = api.post("/api/v1/payment-links/", {"invoice": invoice.pk, "provider": "x"}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    fake_provider.fail_with = 500
    r = api.post(
        "/api/v1/payment-links/", {"invoice": invoice.pk, "provider": "monobank"}, format="json"
    )
    assert (r.status_code, r.json()["code"]) == (502, "provider_refused")
    r = api.get("/api/v1/payment-links/?status=nope")
    assert (r.status_code, r.json()["code"]) == (400, "filter_invalid")


def test_holds_are_listed_and_resolved_by_the_accountant(
    api, client, fake_provider, order_invoice, accountant, manager
):
    _order, invoice = order_invoice
    as_user(api, accountant)
    link = api.post(
        "/api/v1/payment-links/", {"invoice": invoice.pk, "provider": "liqpay"}, format="json"
    ).json()
    from orderdesk.payments.models import PaymentLink

    deliver(
        client,
        "liqpay",
        *success_delivery(fake_provider, PaymentLink.objects.get(pk=link["id"]), currency="EUR"),
    )
    holds = api.get("/api/v1/payment-holds/?status=open").json()["results"]
    assert [h["reason"] for h in holds] == ["currency_mismatch"]
    hold_id = holds[0]["id"]
    r = as_user(api, manager).post(
        f"/api/v1/payment-holds/{hold_id}/dismiss/", {"reason": "x"}, format="json"
    )
    assert (r.status_code, r.json()["code"]) == (403, "payments_not_permitted")
    r = as_user(api, accountant).post(
        f"/api/v1/payment-holds/{hold_id}/dismiss/", {"reason": "refunded"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert PaymentHold.objects.get().resolution == "refunded"


def test_a_payout_report_is_previewed_imported_and_matched_through_the_api(
    api, order_invoice, accountant, manager
):
    _order, invoice = order_invoice
    as_user(api, accountant)
    r = api.post(
        "/api/v1/intermediaries/",
        {
            "name": "LiqPay agent",
            "kind": "payment_agent",
            "commission_percent": "1.5",
            "column_mapping": {"reference": "ref", "date": "date", "gross": "gross"},
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    agent = r.json()
    data = f"ref,date,gross\nLOST,01.01.2099,{invoice.payable_amount}\n"
    url = f"/api/v1/intermediaries/{agent['id']}/payout-reports/"
    preview = api.post(url, {"data": data, "number": "A-1"}, format="json")
    assert preview.status_code == 200 and preview.json()["to_review"] == 1
    done = api.post(url, {"data": data, "number": "A-1", "dry_run": False}, format="json")
    assert done.status_code == 201
    report = api.get(f"/api/v1/payout-reports/{done.json()['report']}/").json()
    [line] = report["lines"]
    assert line["status"] == "unmatched" and line["reason"] == "reference_unknown"
    r = api.post(
        f"/api/v1/payout-lines/{line['id']}/match/", {"invoice": invoice.pk}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "matched"
    assert PayoutLine.objects.get().payment.amount == invoice.payable_amount
    again = api.post(url, {"data": data, "number": "A-2"}, format="json")
    assert again.json()["code"] == "payout_report_duplicate"
    as_user(api, manager)
    assert api.get("/api/v1/intermediaries/").status_code == 403
    assert api.get(f"/api/v1/payout-reports/{report['id']}/").status_code == 403
    assert api.get("/api/v1/payout-lines/").json()["results"][0]["id"] == line["id"]


def test_the_payout_report_accepts_an_uploaded_file(api, accountant):
    agent = IntermediaryFactory()
    from django.core.files.uploadedfile import SimpleUploadedFile

    as_user(api, accountant)
    upload = SimpleUploadedFile("r.csv", b"ref;date;gross\nX1;01.01.2099;10.00\n")
    r = api.post(
        f"/api/v1/intermediaries/{agent.pk}/payout-reports/",
        {
            "file": upload,
            "mapping.reference": "ref",
            "mapping.date": "date",
            "mapping.gross": "gross",
        },
        format="multipart",
    )
    assert r.status_code == 200, r.content
    assert r.json()["rows"][0]["review"] == "reference_unknown"


def test_the_schema_documents_the_payment_endpoints(api, accountant):
    r = as_user(api, accountant).get("/api/schema/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "/api/v1/payment-links/" in text and "/api/v1/payout-lines/{id}/match/" in text
