"""Billing services: documents, posting, reversal, payments, allocations, statement import.

Every refusal is checked with `refused(...)`: the stable code and the database exactly as
before the call (documents, payments, ledger, history, number series, order states).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.billing.models import CreditNote, DocumentStatus, Invoice, InvoiceKind, Payment
from orderdesk.billing.services import (
    allocation_cancel,
    allocation_create,
    cash_receipt_create,
    credit_note_create,
    credit_note_for_cancellation,
    document_post,
    document_reverse,
    document_update,
    documents_for_confirmation,
    invoice_create,
    invoice_create_prepayment,
    order_payment_state,
    payment_create,
    payment_reverse,
    shipment_record,
    statement_import,
)
from orderdesk.core.services import exchange_rate_set
from orderdesk.orders.choices import PaymentStatus
from orderdesk.receivables.models import Allocation, ItemKind, OpenItem, Side
from orderdesk.receivables.selectors import (
    balance_as_of,
    items_as_of,
    open_amount_as_of,
    statement,
)

from .conftest import lines_of, make_order, refused

D = Decimal
TODAY = dt.date.today()


def ship_all(order, by):
    return shipment_record(by=by, order=order, lines=lines_of(order), shipment_ref="SH")


# --- documents ---------------------------------------------------------------------------------


def test_net_terms_invoice_per_shipment_with_partial_shipments(net14_order, storekeeper):
    order = net14_order
    line = order.lines.get()
    first = shipment_record(by=storekeeper, order=order, lines=[(line, D(3))], shipment_ref="A")
    second = shipment_record(by=storekeeper, order=order, lines=[(line, D(7))], shipment_ref="B")
    assert first.invoice.gross_amount == D("360.00")
    assert second.invoice.gross_amount == D("840.00")
    assert first.invoice.payable_amount + second.invoice.payable_amount == order.gross_amount
    assert first.invoice.due_date == TODAY + dt.timedelta(days=14)
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"РФ-{TODAY.year}-000001", f"РФ-{TODAY.year}-000002"]
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.NOT_DUE


def test_a_draft_has_no_number_and_posting_numbers_it(half50_manual_order, accountant):
    draft = invoice_create_prepayment(by=accountant, order=half50_manual_order)
    assert draft.number == "" and draft.status == DocumentStatus.DRAFT
    assert not OpenItem.objects.exists()
    posted = document_post(by=accountant, doc_type="invoice", pk=draft.pk)
    assert posted.number.endswith("000001")
    item = OpenItem.objects.get()
    assert (item.side, item.amount, item.open_amount, item.doc_number) == (
        Side.DEBIT,
        D("600.00"),
        D("600.00"),
        posted.number,
    )


def test_posting_twice_is_refused(half50_manual_order, accountant):
    invoice = invoice_create_prepayment(by=accountant, order=half50_manual_order)
    document_post(by=accountant, doc_type="invoice", pk=invoice.pk)
    with refused("document_already_posted"):
        document_post(by=accountant, doc_type="invoice", pk=invoice.pk)


def test_a_posted_document_is_immutable(half50_manual_order, accountant):
    invoice = invoice_create_prepayment(by=accountant, order=half50_manual_order)
    document_update(by=accountant, doc_type="invoice", pk=invoice.pk, comment="до 5 числа")
    document_post(by=accountant, doc_type="invoice", pk=invoice.pk)
    with refused("document_posted"):
        document_update(by=accountant, doc_type="invoice", pk=invoice.pk, comment="інше")


def test_a_seller_may_draft_a_prepayment_invoice_but_not_post_it(
    half50_manual_order, manager, other_manager
):
    invoice = invoice_create_prepayment(by=manager, order=half50_manual_order)
    with refused("billing_not_permitted"):
        document_post(by=manager, doc_type="invoice", pk=invoice.pk)
    with refused("billing_not_permitted"):
        invoice_create(by=manager, order=half50_manual_order, kind="order")
    invoice.delete()
    with refused("billing_not_permitted"):
        invoice_create_prepayment(by=other_manager, order=half50_manual_order)


def test_prepayment_invoice_rules(half50_manual_order, net14_order, accountant):
    with refused("prepayment_not_required"):
        invoice_create_prepayment(by=accountant, order=net14_order)
    invoice_create_prepayment(by=accountant, order=half50_manual_order)
    with refused("prepayment_invoice_exists"):
        invoice_create_prepayment(by=accountant, order=half50_manual_order)


def test_invoicing_more_than_shipped_is_refused(net14_order, accountant, storekeeper):
    line = net14_order.lines.get()
    shipment_record(by=storekeeper, order=net14_order, lines=[(line, D(2))])
    with refused("invoice_exceeds_shipped"):
        invoice_create(by=accountant, order=net14_order, kind="shipment", lines=[(line, D(1))])


def test_shipping_more_than_ordered_is_refused(net14_order, storekeeper, manager):
    line = net14_order.lines.get()
    with refused("shipment_exceeds_ordered"):
        shipment_record(by=storekeeper, order=net14_order, lines=[(line, D(11))])
    with refused("shipment_not_permitted"):
        shipment_record(by=manager, order=net14_order, lines=[(line, D(1))])


def test_reversing_an_invoice_storno_and_payments_become_credit(half50_order, accountant, manager):
    order = half50_order
    invoice = documents_for_confirmation(by=manager, order=order)
    payment = payment_create(by=accountant, customer=order.customer, amount=D("600"), order=order)
    with refused("reversal_reason_required"):
        document_reverse(by=accountant, doc_type="invoice", pk=invoice.pk, reason=" ")
    document_reverse(by=accountant, doc_type="invoice", pk=invoice.pk, reason="неправильна сума")
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.REVERSED
    storno = order.credit_notes.get()
    assert storno.reason == "reversal" and storno.number.startswith("КН-")
    assert storno.credit_amount == D("600.00")
    payment.credit_item.refresh_from_db()
    assert payment.credit_item.open_amount == D("600.00")  # back as the customer's credit
    assert balance_as_of(order.customer, "UAH", TODAY) == D("-600.00")
    with refused("document_reversed"):
        document_reverse(by=accountant, doc_type="invoice", pk=invoice.pk, reason="ще раз")
    # a corrected invoice takes the waiting payment at once
    again = invoice_create_prepayment(by=accountant, order=order)
    document_post(by=accountant, doc_type="invoice", pk=again.pk)
    payment.credit_item.refresh_from_db()
    assert payment.credit_item.open_amount == D("0.00")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID


def test_return_credit_note_settles_the_invoice_and_keeps_the_rest_as_credit(
    net14_order, accountant, storekeeper
):
    order = net14_order
    docs = ship_all(order, storekeeper)
    payment_create(by=accountant, customer=order.customer, amount=D("1000"), order=order)
    line = order.lines.get()
    note = credit_note_create(
        by=accountant, order=order, reason="return", lines=[(line, D(2))], invoice=docs.invoice.pk
    )
    note = document_post(by=accountant, doc_type="credit_note", pk=note.pk)
    assert note.credit_amount == D("240.00")
    item = OpenItem.objects.get(doc_type="invoice", doc_id=docs.invoice.pk)
    assert item.open_amount == D("0.00")  # 1200 - 1000 paid - 200 credited
    credit = OpenItem.objects.get(doc_type="credit_note", doc_id=note.pk)
    assert credit.open_amount == D("40.00")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    document_reverse(by=accountant, doc_type="credit_note", pk=note.pk, reason="помилка")
    item.refresh_from_db()
    assert item.open_amount == D("200.00")


def test_returns_are_credited_at_most_once_for_what_shipped(net14_order, accountant, storekeeper):
    order = net14_order
    ship_all(order, storekeeper)
    line = order.lines.get()
    shipped = line.shipped_quantity
    first = credit_note_create(
        by=accountant, order=order, reason="return", lines=[(line, shipped - 1)]
    )
    notes = CreditNote.objects.count()
    with refused("credit_exceeds_shipped"):  # only 1 is left to return
        credit_note_create(by=accountant, order=order, reason="return", lines=[(line, D(2))])
    with refused("credit_exceeds_shipped"):  # the same line twice in one note counts twice
        credit_note_create(
            by=accountant, order=order, reason="return", lines=[(line, D(1)), (line, D(1))]
        )
    assert CreditNote.objects.count() == notes  # nothing written
    first = document_post(by=accountant, doc_type="credit_note", pk=first.pk)
    document_reverse(by=accountant, doc_type="credit_note", pk=first.pk, reason="помилка")
    again = credit_note_create(by=accountant, order=order, reason="return", lines=[(line, D(2))])
    assert again.lines.get().quantity == D(2)  # a reversed note gave its quantity back


def test_cancelling_a_prepaid_line_credits_its_prepaid_share(half50_order, manager, accountant):
    order = half50_order
    documents_for_confirmation(by=manager, order=order)
    line = order.lines.get()
    note = credit_note_for_cancellation(by=accountant, order=order, lines=[(line, D(2))])
    assert note.status == DocumentStatus.POSTED
    assert note.credit_amount == D("120.00")  # 50 % of 240.00


def test_cash_receipt_records_a_cash_payment(half50_order, manager, accountant):
    order = half50_order
    documents_for_confirmation(by=manager, order=order)
    receipt = cash_receipt_create(
        by=accountant,
        customer=order.customer,
        order=order,
        amount="600",
        received_from="Іваненко І. І.",
    )
    receipt = document_post(by=accountant, doc_type="cash_receipt", pk=receipt.pk)
    assert receipt.number.startswith("ПКО-") and receipt.payment.method == "cash"
    assert OpenItem.objects.get(pk=receipt.payment.credit_item_id).doc_number == receipt.number
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID
    with refused("payment_has_cash_receipt"):
        payment_reverse(by=accountant, payment=receipt.payment, reason="x")
    document_reverse(by=accountant, doc_type="cash_receipt", pk=receipt.pk, reason="каса")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PREPAYMENT_DUE


# --- payments and allocations ------------------------------------------------------------------


@pytest.fixture
def posted_prepayment(half50_order, manager):
    return documents_for_confirmation(by=manager, order=half50_order)


def test_bad_payments_change_nothing(
    half50_order, posted_prepayment, accountant, manager, other_customer
):
    customer = half50_order.customer
    with refused("amount_not_positive"):
        payment_create(by=accountant, customer=customer, amount="-100")
    with refused("amount_not_positive"):
        payment_create(by=accountant, customer=customer, amount="0")
    with refused("number_precision"):
        payment_create(by=accountant, customer=customer, amount="10.001")
    with refused("amount_invalid"):
        payment_create(by=accountant, customer=customer, amount="десять")
    with refused("billing_not_permitted"):
        payment_create(by=manager, customer=customer, amount="10")
    with refused("order_other_customer"):
        payment_create(by=accountant, customer=other_customer, amount="10", order=half50_order)
    item = OpenItem.objects.get()
    with refused("allocation_exceeds_open"):
        payment_create(
            by=accountant, customer=customer, amount="1000", allocations=[(item.pk, D("600.01"))]
        )
    with refused("allocation_other_customer"):
        payment_create(
            by=accountant, customer=other_customer, amount="100", allocations=[(item.pk, D("100"))]
        )
    with refused("allocation_exceeds_credit"):
        payment_create(
            by=accountant, customer=customer, amount="100", allocations=[(item.pk, D("150"))]
        )
    with refused("exchange_rate_missing"):
        payment_create(by=accountant, customer=customer, amount="100", currency="PLN")
    payment_create(by=accountant, customer=customer, amount="10", bank_reference="REF-1")
    with refused("payment_duplicate"):
        payment_create(by=accountant, customer=customer, amount="10", bank_reference="REF-1")


def test_overpayment_stays_as_credit_and_settles_the_next_invoice(
    half50_order, posted_prepayment, accountant, storekeeper
):
    order = half50_order
    payment = payment_create(by=accountant, customer=order.customer, amount=D("1000"), order=order)
    payment.credit_item.refresh_from_db()
    assert payment.credit_item.open_amount == D("400.00")
    docs = ship_all(order, storekeeper)
    payment.credit_item.refresh_from_db()
    assert payment.credit_item.open_amount == D("0.00")
    item = OpenItem.objects.get(doc_type="invoice", doc_id=docs.invoice.pk)
    assert item.open_amount == D("200.00")


def test_allocation_chosen_by_hand_and_undone(net14_order, accountant, storekeeper):
    order = net14_order
    ship_all(order, storekeeper)
    debit = OpenItem.objects.get(side=Side.DEBIT)
    payment = payment_create(
        by=accountant, customer=order.customer, amount=D("500"), allocations=[]
    )
    assert payment.credit_item.open_amount == D("500.00")
    allocation = allocation_create(
        by=accountant, debit=debit.pk, credit=payment.credit_item_id, amount="300"
    )
    debit.refresh_from_db()
    assert debit.open_amount == D("900.00")
    with refused("allocation_exceeds_credit"):
        allocation_create(
            by=accountant, debit=debit.pk, credit=payment.credit_item_id, amount="201"
        )
    with refused("allocation_sides_invalid"):
        allocation_create(by=accountant, debit=payment.credit_item_id, credit=debit.pk, amount="1")
    allocation_cancel(by=accountant, allocation=allocation.pk)
    debit.refresh_from_db()
    assert debit.open_amount == D("1200.00")
    with refused("allocation_reversed"):
        allocation_cancel(by=accountant, allocation=allocation.pk)


def test_payment_in_another_currency_at_the_day_rate_with_exchange_difference(
    manager, customer, product, warehouse, accountant, storekeeper
):
    exchange_rate_set(currency="USD", date=TODAY - dt.timedelta(days=1), rate=D("40"))
    order = make_order(manager, customer, product, terms="net14", currency="USD")
    assert order.currency_id == "USD"
    docs = ship_all(order, storekeeper)
    debit = OpenItem.objects.get(doc_type="invoice", doc_id=docs.invoice.pk)
    assert debit.rate == D("40") and debit.currency_id == "USD"
    exchange_rate_set(currency="USD", date=TODAY, rate=D("42"))
    # the customer pays in hryvnias; the invoice is in dollars
    assert debit.amount == D("30.00")  # 10 x 100 UAH at 40 = 2.50 USD + 20 % VAT
    payment = payment_create(
        by=accountant,
        customer=customer,
        amount=D("420.00"),
        currency="UAH",
        allocations=[(debit.pk, D("10.00"))],
    )
    allocation = Allocation.objects.get(credit=payment.credit_item)
    assert allocation.amount == D("10.00") and allocation.credit_amount == D("420.00")
    # booked at 40 (400.00), received 420.00: a gain of 20.00 in base currency
    assert allocation.exchange_difference == D("20.00")
    debit.refresh_from_db()
    assert debit.open_amount == D("20.00")


def test_reversing_a_payment_reopens_the_invoice(half50_order, posted_prepayment, accountant):
    order = half50_order
    payment = payment_create(by=accountant, customer=order.customer, amount=D("600"))
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID
    payment_reverse(by=accountant, payment=payment, reason="повернено банком")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PREPAYMENT_DUE
    assert Payment.objects.get().status == DocumentStatus.REVERSED
    assert balance_as_of(order.customer, "UAH", TODAY) == D("600.00")


def test_overdue_follows_the_calendar(net14_order, accountant, storekeeper):
    order = net14_order
    ship_all(order, storekeeper)
    assert order_payment_state(order, on=TODAY) == PaymentStatus.NOT_DUE
    assert order_payment_state(order, on=TODAY + dt.timedelta(days=15)) == PaymentStatus.OVERDUE
    from django.core.management import call_command

    OpenItem.objects.update(due_date=TODAY - dt.timedelta(days=1))
    call_command("check_overdue_payments", verbosity=0)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.OVERDUE


# --- the ledger as of a past date ----------------------------------------------------------------


def test_a_past_report_does_not_change_when_later_payments_arrive(
    net14_order, accountant, storekeeper
):
    order = net14_order
    ship_all(order, storekeeper)
    debit = OpenItem.objects.get(side=Side.DEBIT)
    yesterday, tomorrow = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    before = open_amount_as_of(debit, TODAY)
    payment_create(by=accountant, customer=order.customer, amount=D("500"), payment_date=tomorrow)
    assert open_amount_as_of(debit, TODAY) == before == D("1200.00")
    assert open_amount_as_of(debit, tomorrow) == D("700.00")
    assert open_amount_as_of(debit, yesterday) == D("0")
    rows = {i.pk: i.open_as_of for i in items_as_of(TODAY)}
    assert rows == {debit.pk: D("1200.00")}
    assert balance_as_of(order.customer, "UAH", TODAY) == D("1200.00")
    assert balance_as_of(order.customer, "UAH", tomorrow) == D("700.00")
    st = statement(customer=order.customer, currency="UAH", date_from=TODAY, date_to=tomorrow)
    assert (st.opening, st.total_debit, st.total_credit, st.closing) == (
        D("0"),
        D("1200.00"),
        D("500.00"),
        D("700.00"),
    )
    with refused("date_range_reversed"):
        statement(customer=order.customer, currency="UAH", date_from=tomorrow, date_to=TODAY)


# --- bank statement import ---------------------------------------------------------------------

MAPPING = {
    "date": "Дата",
    "amount": "Сума",
    "currency": "Валюта",
    "payer_tax_id": "ЄДРПОУ",
    "purpose": "Призначення",
    "bank_reference": "Референс",
}


def csv_of(*rows: str) -> str:
    return "Дата;Сума;Валюта;ЄДРПОУ;Призначення;Референс\n" + "\n".join(rows) + "\n"


def test_statement_preview_then_import(half50_order, posted_prepayment, accountant):
    order = half50_order
    tax_id = order.customer.tax_id
    data = csv_of(
        f"{TODAY:%d.%m.%Y};600,00;UAH;{tax_id};Оплата за {order.number};B-1",
        f"{TODAY:%Y-%m-%d};1 000.50;UAH;{tax_id};Аванс;B-2",
    )
    preview = statement_import(by=accountant, data=data, mapping=MAPPING, dry_run=True)
    assert [r.status for r in preview.rows] == ["ok", "ok"]
    assert preview.rows[0].order == order.number
    assert not Payment.objects.exists()
    result = statement_import(by=accountant, data=data, mapping=MAPPING, dry_run=False)
    assert result.imported == 2
    assert Payment.objects.get(bank_reference="B-1").order == order
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID
    # the same statement again: refused, unless duplicates are skipped
    with refused("statement_invalid") as info:
        statement_import(by=accountant, data=data, mapping=MAPPING, dry_run=False)
    codes = {e["code"] for row in info.value.fields["rows"] for e in row["errors"]}
    assert codes == {"payment_duplicate"}
    again = statement_import(
        by=accountant, data=data, mapping=MAPPING, dry_run=False, skip_duplicates=True
    )
    assert again.imported == 0 and [r.status for r in again.rows] == ["skipped", "skipped"]


def test_a_statement_with_bad_rows_imports_nothing(half50_order, accountant):
    tax_id = half50_order.customer.tax_id
    data = csv_of(
        f"{TODAY:%d.%m.%Y};100,00;UAH;{tax_id};ok;C-1",
        f"31.02.2026;100,00;UAH;{tax_id};bad date;C-2",
        f"{TODAY:%d.%m.%Y};сто;UAH;{tax_id};bad amount;C-3",
        f"{TODAY:%d.%m.%Y};-5;UAH;{tax_id};negative;C-4",
        f"{TODAY:%d.%m.%Y};5;UAH;99999999;unknown payer;C-5",
        f"{TODAY:%d.%m.%Y};5;UAH;{tax_id};repeated;C-1",
    )
    preview = statement_import(by=accountant, data=data, mapping=MAPPING)
    codes = [[e["code"] for e in r.errors] for r in preview.rows]
    assert codes == [
        [],
        ["date_invalid"],
        ["amount_invalid"],
        ["amount_not_positive"],
        ["payer_unknown"],
        ["bank_reference_repeated"],
    ]
    with refused("statement_invalid"):
        statement_import(by=accountant, data=data, mapping=MAPPING, dry_run=False)


def test_statement_file_problems(accountant):
    with refused("statement_empty"):
        statement_import(by=accountant, data="", mapping=MAPPING)
    with refused("mapping_column_missing"):
        statement_import(by=accountant, data="a;b\n1;2\n", mapping=MAPPING)
    with refused("mapping_incomplete"):
        statement_import(by=accountant, data=csv_of("x"), mapping={"date": "Дата"})
    with refused("billing_not_permitted"):
        statement_import(by=None, data=csv_of("x"), mapping=MAPPING)


def test_statement_in_windows_1251_is_read(half50_order, accountant):
    tax_id = half50_order.customer.tax_id
    data = csv_of(f"{TODAY:%d.%m.%Y};100,00;UAH;{tax_id};Оплата;W-1").encode("cp1251")
    result = statement_import(by=accountant, data=data, mapping=MAPPING)
    assert result.rows[0].status == "ok" and result.rows[0].purpose == "Оплата"


def test_credit_items_count_as_credit_note_or_payment(half50_order, posted_prepayment, accountant):
    payment_create(by=accountant, customer=half50_order.customer, amount=D("100"))
    kinds = set(OpenItem.objects.values_list("kind", flat=True))
    assert kinds == {ItemKind.INVOICE, ItemKind.PAYMENT}
    assert Invoice.objects.get().kind == InvoiceKind.PREPAYMENT


def test_confirming_an_order_with_prepayment_terms_issues_the_prepayment_invoice(half50_order):
    # half50_order was confirmed by its manager under the built-in policy: the confirmation
    # itself posted the prepayment invoice, in the same transaction, numbered
    invoice = Invoice.objects.get(order=half50_order)
    assert invoice.kind == "prepayment" and invoice.status == DocumentStatus.POSTED
    assert invoice.payable_amount == D("600.00") and invoice.number
    half50_order.refresh_from_db()
    assert half50_order.payment_status == "prepayment_due"


def test_confirming_under_a_manual_policy_leaves_the_invoice_to_a_person(half50_manual_order):
    assert not Invoice.objects.filter(order=half50_manual_order).exists()
