"""Printable documents: HTML templates rendered to PDF by WeasyPrint with a bundled font.

The Ukrainian layout is the legal one (both parties' ЄДРПОУ, VAT number, IBAN; the total in
words; signatures); `lang="en"` prints the same document with English labels. Labels are
kept here, not in the UI translations, because a legal form's wording must not change with
a translation file. WeasyPrint needs the system's Pango; where it cannot load, every PDF
answer is `pdf_unavailable` (503) with a message, never a server error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from orderdesk.core.errors import DomainError

from . import calculations as calc
from .models import CompanyProfile

FONTS = Path(__file__).resolve().parent / "fonts"
LANGUAGES = ("uk", "en")

MONTHS_UK = (
    "січня", "лютого", "березня", "квітня", "травня", "червня",
    "липня", "серпня", "вересня", "жовтня", "листопада", "грудня",
)  # fmt: skip

LABELS: dict[str, dict[str, str]] = {
    "uk": {
        "invoice": "Рахунок на оплату",
        "invoice_prepayment": "Рахунок на передоплату",
        "delivery_note": "Видаткова накладна",
        "credit_note": "Кредит-нота",
        "credit_note_reversal": "Сторно рахунку",
        "cash_receipt": "Прибутковий касовий ордер",
        "statement": "Акт звірки взаєморозрахунків",
        "no": "№",
        "of": "від",
        "supplier": "Постачальник",
        "buyer": "Покупець",
        "tax_id": "Код ЄДРПОУ",
        "vat_number": "ІПН",
        "iban": "IBAN",
        "bank": "Банк",
        "address": "Адреса",
        "contract": "Договір",
        "order": "Замовлення",
        "shipment": "Відвантаження",
        "draft": "ЧЕРНЕТКА — не є документом",
        "reversed": "СТОРНОВАНО",
        "pos": "№",
        "sku": "Артикул",
        "goods": "Товар",
        "unit": "Од.",
        "qty": "К-сть",
        "price": "Ціна без ПДВ",
        "discount": "Знижка, %",
        "net": "Сума без ПДВ",
        "total_net": "Разом без ПДВ",
        "vat": "ПДВ",
        "total": "Всього з ПДВ",
        "prepayment_deducted": "Передоплату виставлено раніше",
        "payable": "До сплати",
        "in_words": "Всього на суму",
        "incl_vat": "у т.ч. ПДВ",
        "schedule": "Графік оплати",
        "due": "Сплатити до",
        "amount": "Сума",
        "issued_by": "Виписав(ла)",
        "director": "Директор",
        "accountant": "Головний бухгалтер",
        "received_goods": "Отримав(ла)",
        "released_goods": "Від постачальника",
        "power_of_attorney": "За довіреністю № ______ від ____________",
        "received_from": "Прийнято від",
        "basis": "Підстава",
        "cashier": "Касир",
        "credited": "До зарахування",
        "reason": "Причина",
        "corrected_invoice": "До рахунку",
        "period": "за період з",
        "to": "по",
        "between": "між",
        "and": "та",
        "date": "Дата",
        "document": "Документ",
        "debit": "Дебет",
        "credit": "Кредит",
        "balance": "Сальдо",
        "opening": "Сальдо на початок періоду",
        "turnover": "Обороти за період",
        "closing": "Сальдо на кінець періоду",
        "debt_in_favour": "Заборгованість на %(date)s на користь %(party)s становить %(amount)s",
        "no_debt": "Заборгованості на %(date)s немає",
        "signature_line": "____________________",
        "stamp": "М.П.",
        "currency": "Валюта",
        "page_note": "Документ сформовано в orderdesk",
        "doc_invoice": "Рахунок",
        "doc_credit_note": "Кредит-нота",
        "doc_payment": "Оплата",
        "doc_cash_receipt": "ПКО",
    },
    "en": {
        "invoice": "Invoice",
        "invoice_prepayment": "Prepayment invoice",
        "delivery_note": "Delivery note",
        "credit_note": "Credit note",
        "credit_note_reversal": "Reversal of invoice",
        "cash_receipt": "Cash receipt",
        "statement": "Statement of account",
        "no": "No.",
        "of": "of",
        "supplier": "Supplier",
        "buyer": "Buyer",
        "tax_id": "Company code (EDRPOU)",
        "vat_number": "VAT number",
        "iban": "IBAN",
        "bank": "Bank",
        "address": "Address",
        "contract": "Contract",
        "order": "Order",
        "shipment": "Shipment",
        "draft": "DRAFT — not a valid document",
        "reversed": "REVERSED",
        "pos": "#",
        "sku": "SKU",
        "goods": "Goods",
        "unit": "Unit",
        "qty": "Qty",
        "price": "Price excl. VAT",
        "discount": "Discount, %",
        "net": "Amount excl. VAT",
        "total_net": "Total excl. VAT",
        "vat": "VAT",
        "total": "Total incl. VAT",
        "prepayment_deducted": "Prepayment invoiced before",
        "payable": "To pay",
        "in_words": "Total",
        "incl_vat": "incl. VAT",
        "schedule": "Payment schedule",
        "due": "Due by",
        "amount": "Amount",
        "issued_by": "Issued by",
        "director": "Director",
        "accountant": "Chief accountant",
        "received_goods": "Received by",
        "released_goods": "Released by",
        "power_of_attorney": "Power of attorney No. ______ of ____________",
        "received_from": "Received from",
        "basis": "Basis",
        "cashier": "Cashier",
        "credited": "Credited",
        "reason": "Reason",
        "corrected_invoice": "Invoice",
        "period": "for the period from",
        "to": "to",
        "between": "between",
        "and": "and",
        "date": "Date",
        "document": "Document",
        "debit": "Debit",
        "credit": "Credit",
        "balance": "Balance",
        "opening": "Opening balance",
        "turnover": "Turnover for the period",
        "closing": "Closing balance",
        "debt_in_favour": "Balance on %(date)s in favour of %(party)s: %(amount)s",
        "no_debt": "No balance outstanding on %(date)s",
        "signature_line": "____________________",
        "stamp": "Seal",
        "currency": "Currency",
        "page_note": "Generated by orderdesk",
        "doc_invoice": "Invoice",
        "doc_credit_note": "Credit note",
        "doc_payment": "Payment",
        "doc_cash_receipt": "Cash receipt",
    },
}


class PdfUnavailable(DomainError):
    """WeasyPrint (or the system libraries it needs) cannot load on this server."""

    status = 503
    code = "pdf_unavailable"


def language(value: Any) -> str:
    return value if value in LANGUAGES else "uk"


def long_date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return "____________"
    if lang == "uk":
        return f"{value.day} {MONTHS_UK[value.month - 1]} {value.year} р."
    return value.strftime("%d %B %Y")


def in_words(amount, currency: str, lang: str) -> str:
    if lang == "uk":
        return calc.amount_in_words_uk(amount, currency)
    return calc.amount_in_words_en(amount, currency)


def load_weasyprint():
    """The WeasyPrint module, or `pdf_unavailable` when it (or Pango) cannot load."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            _(
                "PDF printing is not available on this server (WeasyPrint could not load: "
                "%(e)s). Install the Pango library and try again."
            )
            % {"e": exc.__class__.__name__}
        ) from exc
    return weasyprint


def render_pdf(template: str, context: dict[str, Any], *, lang: str) -> bytes:
    """Render `template` with the labels of `lang` and the bundled fonts into PDF bytes."""
    weasyprint = load_weasyprint()
    context = {
        **context,
        "L": LABELS[lang],
        "lang": lang,
        "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
        "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri(),
        "company": context.get("company") or CompanyProfile.current(),
    }
    html = render_to_string(template, context)
    try:
        return weasyprint.HTML(string=html, base_url=str(FONTS)).write_pdf()
    except OSError as exc:  # a missing system library shows up at render time too
        raise PdfUnavailable(
            _("PDF printing failed on this server: %(e)s.") % {"e": exc.__class__.__name__}
        ) from exc


def document_title(doc, lang: str) -> str:
    labels = LABELS[lang]
    doc_type = doc.doc_type
    if doc_type == "invoice" and doc.kind == "prepayment":
        return labels["invoice_prepayment"]
    if doc_type == "credit_note" and doc.reason == "reversal":
        return labels["credit_note_reversal"]
    return labels[doc_type]


def document_pdf(doc, *, lang: str = "uk") -> tuple[str, bytes]:
    """(file name, PDF bytes) of a billing document."""
    lang = language(lang)
    labels = LABELS[lang]
    amount = doc.gross_amount
    if doc.doc_type == "invoice":
        amount = doc.payable_amount
    elif doc.doc_type == "credit_note":
        amount = doc.credit_amount
    vat_rates = sorted({line.vat_rate for line in doc.lines.all()}) if hasattr(doc, "lines") else []
    context = {
        "doc": doc,
        "title": document_title(doc, lang),
        "date_text": long_date(doc.document_date, lang),
        "lines": list(doc.lines.all()) if hasattr(doc, "lines") else [],
        "amount": amount,
        "amount_words": in_words(amount, doc.currency_id, lang),
        "vat_words": in_words(doc.vat_amount, doc.currency_id, lang),
        "vat_rates": vat_rates,
        "instalments": list(doc.instalments.all()) if doc.doc_type == "invoice" else [],
        "customer": doc.customer,
        "labels": labels,
    }
    name = (doc.number or f"draft-{doc.pk}").replace("/", "-")
    return f"{doc.doc_type}-{name}-{lang}.pdf", render_pdf(
        f"billing/pdf/{doc.doc_type}.html", context, lang=lang
    )


def statement_pdf(statement, *, lang: str = "uk") -> tuple[str, bytes]:
    """(file name, PDF bytes) of a customer statement (акт звірки)."""
    lang = language(lang)
    labels = LABELS[lang]
    company = CompanyProfile.current()
    closing = statement.closing
    party = company.short_name or company.name if closing >= 0 else statement.customer.legal_name
    from .templatetags.billing_tags import pdf_money

    if closing == 0:
        summary = labels["no_debt"] % {"date": long_date(statement.date_to, lang)}
    else:
        summary = labels["debt_in_favour"] % {
            "date": long_date(statement.date_to, lang),
            "party": party,
            "amount": f"{pdf_money(abs(closing), lang)} {statement.currency}",
        }
    context = {
        "st": statement,
        "customer": statement.customer,
        "company": company,
        "title": labels["statement"],
        "from_text": long_date(statement.date_from, lang),
        "to_text": long_date(statement.date_to, lang),
        "summary": summary,
        "doc_labels": {
            "invoice": labels["doc_invoice"],
            "credit_note": labels["doc_credit_note"],
            "payment": labels["doc_payment"],
            "cash_receipt": labels["doc_cash_receipt"],
        },
    }
    name = f"statement-{statement.customer.tax_id}-{statement.date_from}-{statement.date_to}-{lang}.pdf"
    return name, render_pdf("billing/pdf/statement.html", context, lang=lang)
