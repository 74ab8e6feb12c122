"""Printed documents: each PDF carries its Ukrainian (or English) text, legal details and the
total in words; without WeasyPrint the answer is `pdf_unavailable`, never a server error."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from pypdf import PdfReader

from orderdesk.billing import pdf
from orderdesk.billing.models import DocumentStatus
from orderdesk.billing.services import (
    cash_receipt_create,
    credit_note_create,
    document_post,
    document_reverse,
    documents_for_confirmation,
    payment_create,
    shipment_record,
)
from orderdesk.receivables.selectors import statement

from .conftest import lines_of


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def keep(name: str, data: bytes) -> None:
    """Leave the PDF for a person to look at when ORDERDESK_KEEP_PDF names a folder."""
    folder = os.environ.get("ORDERDESK_KEEP_PDF")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)


@pytest.fixture
def shipped(half50_order, manager, accountant, storekeeper, company):
    order = half50_order
    documents_for_confirmation(by=manager, order=order)
    payment_create(by=accountant, customer=order.customer, amount=Decimal("600"), order=order)
    docs = shipment_record(by=storekeeper, order=order, lines=lines_of(order), shipment_ref="SH-1")
    return order, docs


def test_invoice_pdf_has_the_ukrainian_layout(shipped, company):
    order, docs = shipped
    name, data = pdf.document_pdf(docs.invoice, lang="uk")
    keep(name, data)
    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert f"Рахунок на оплату № {docs.invoice.number}" in text
    assert "Постачальник" in text and "Покупець" in text
    assert f"Код ЄДРПОУ {company.tax_id}" in text
    assert f"ІПН {company.vat_number}" in text
    assert f"IBAN {company.iban}" in text
    assert f"Код ЄДРПОУ {order.customer.tax_id}" in text
    assert "Всього з ПДВ" in text and "1 200,00" in text
    assert "ПДВ 20%" in text and "200,00" in text
    assert "До сплати" in text and "600,00" in text
    assert "Шістсот гривень 00 копійок" in text
    assert "Директор" in text and company.director_name in text


def test_prepayment_invoice_pdf_names_itself_and_the_amount_due(shipped):
    order, _docs = shipped
    prepayment = order.invoices.get(kind="prepayment")
    _name, data = pdf.document_pdf(prepayment, lang="uk")
    text = text_of(data)
    assert f"Рахунок на передоплату № {prepayment.number}" in text
    assert "Шістсот гривень 00 копійок" in text


def test_delivery_note_pdf_in_ukrainian_and_english(shipped):
    _order, docs = shipped
    name, data = pdf.document_pdf(docs.delivery_note, lang="uk")
    keep(name, data)
    text = text_of(data)
    assert f"Видаткова накладна № {docs.delivery_note.number}" in text
    assert "Одна тисяча двісті гривень 00 копійок" in text
    assert "Отримав(ла)" in text
    _name, data = pdf.document_pdf(docs.delivery_note, lang="en")
    text = text_of(data)
    assert f"Delivery note No. {docs.delivery_note.number}" in text
    assert "One thousand two hundred hryvnias 00 kopiykas" in text
    assert "1,200.00" in text


def test_credit_note_and_storno_pdfs(shipped, accountant):
    order, docs = shipped
    line = order.lines.first()
    note = credit_note_create(by=accountant, order=order, reason="return", lines=[(line, 1)])
    note = document_post(by=accountant, doc_type="credit_note", pk=note.pk)
    _name, data = pdf.document_pdf(note, lang="uk")
    text = text_of(data)
    assert f"Кредит-нота № {note.number}" in text
    assert "Сто двадцять гривень 00 копійок" in text
    document_reverse(by=accountant, doc_type="invoice", pk=docs.invoice.pk, reason="помилка")
    storno = order.credit_notes.get(reason="reversal")
    _name, data = pdf.document_pdf(storno, lang="uk")
    assert f"Сторно рахунку № {storno.number}" in text_of(data)
    docs.invoice.refresh_from_db()
    assert "СТОРНОВАНО" in text_of(pdf.document_pdf(docs.invoice, lang="uk")[1])


def test_cash_receipt_pdf(half50_order, accountant, company):
    receipt = cash_receipt_create(
        by=accountant,
        customer=half50_order.customer,
        order=half50_order,
        amount="1200.50",
        received_from="Петренко Петро",
        basis="Оплата за замовленням",
    )
    receipt = document_post(by=accountant, doc_type="cash_receipt", pk=receipt.pk)
    name, data = pdf.document_pdf(receipt, lang="uk")
    keep(name, data)
    text = text_of(data)
    assert f"Прибутковий касовий ордер № {receipt.number}" in text
    assert "Прийнято від" in text and "Петренко Петро" in text
    assert "Одна тисяча двісті гривень 50 копійок" in text
    assert receipt.status == DocumentStatus.POSTED


def test_a_draft_prints_as_a_draft(half50_manual_order, manager):
    from orderdesk.billing.services import invoice_create_prepayment

    draft = invoice_create_prepayment(by=manager, order=half50_manual_order)
    text = text_of(pdf.document_pdf(draft, lang="uk")[1])
    assert "ЧЕРНЕТКА" in text


def test_statement_pdf(shipped, company):
    order, _docs = shipped
    today = dt.date.today()
    st = statement(
        customer=order.customer, currency="UAH", date_from=today.replace(day=1), date_to=today
    )
    name, data = pdf.statement_pdf(st, lang="uk")
    keep(name, data)
    text = text_of(data)
    assert "Акт звірки взаєморозрахунків" in text
    assert "Сальдо на початок періоду" in text and "Сальдо на кінець періоду" in text
    assert f"на користь {company.short_name} становить 600,00 UAH" in text
    assert "Statement of account" in text_of(pdf.statement_pdf(st, lang="en")[1])


def test_without_weasyprint_the_answer_is_pdf_unavailable(monkeypatch, shipped):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    with pytest.raises(pdf.PdfUnavailable) as info:
        pdf.document_pdf(shipped[1].invoice, lang="uk")
    assert info.value.code == "pdf_unavailable" and info.value.status == 503
