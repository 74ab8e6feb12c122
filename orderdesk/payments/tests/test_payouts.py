"""Intermediaries' payout reports: preview, refusals, import, the review queue, the ledger, PDF."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db.models import Count
from pypdf import PdfReader

from orderdesk.audit.models import Event
from orderdesk.billing.models import Payment
from orderdesk.core.errors import DomainError
from orderdesk.core.money import ZERO, quantize
from orderdesk.payments.calculations import commission_by_terms
from orderdesk.payments.choices import EntryKind, LineStatus
from orderdesk.payments.models import IntermediaryEntry, PayoutLine, PayoutReport
from orderdesk.payments.services import (
    intermediary_balance,
    intermediary_create,
    intermediary_update,
    payout_import,
    payout_line_dismiss,
    payout_line_match,
)
from orderdesk.payments.services._common import open_amount
from orderdesk.receivables.models import Allocation
from orderdesk.testing.factories import CustomerFactory, IntermediaryFactory

from .conftest import invoiced_order

D = Decimal
PERCENT, FIXED = D("2"), D("20")
HEADER = "ТТН;Замовлення;Рахунок;Платник;Дата;Сума;Комісія;До сплати"
MAPPING = {
    "reference": "ТТН",
    "order_number": "Замовлення",
    "invoice_number": "Рахунок",
    "payer": "Платник",
    "date": "Дата",
    "gross": "Сума",
    "commission": "Комісія",
    "net": "До сплати",
}


@pytest.fixture
def carrier(accountant):
    return intermediary_create(
        by=accountant,
        code="nova-poshta",
        name="ТОВ «Нова Пошта»",
        kind="cod_carrier",
        tax_id="31316718",
        contract_number="НП-15/2026",
        commission_percent="2",
        commission_fixed="20",
        column_mapping=MAPPING,
    )


def csv_of(rows: list[tuple], *, total: bool = True) -> str:
    lines = [HEADER]
    for ref, order, invoice, date, gross, commission, net in rows:
        lines.append(f"{ref};{order};{invoice};ТОВ Покупець;{date};{gross};{commission};{net}")
    if total:
        g = sum((D(r[4]) for r in rows), ZERO)
        c = sum((D(r[5]) for r in rows), ZERO)
        n = sum((D(r[6]) for r in rows), ZERO)
        lines.append(f"Разом;;;;;{g};{c};{n}")
    return "\n".join(lines) + "\n"


HUNDRED = D("100.00")


def row(ref="", order="", invoice="", gross=HUNDRED, date="01.11.2026", commission=None):
    commission = (
        commission_by_terms(gross, percent=PERCENT, fixed_per_item=FIXED)
        if commission is None
        else commission
    )
    return (ref, order, invoice, date, str(gross), str(commission), str(gross - commission))


def today_text():
    import datetime as dt

    return dt.date.today().strftime("%d.%m.%Y")


def test_a_payout_report_of_200_lines_closes_matched_debts_by_gross_and_queues_the_rest(
    accountant, carrier, manager, priced_product, price_list
):
    # given 90 posted invoices
    customers = [CustomerFactory(manager=manager) for _ in range(5)]
    invoices = []
    for i in range(90):
        order, invoice = invoiced_order(
            manager, customers[i % 5], priced_product, price_list, quantity=1 + i % 13
        )
        if i >= 80:
            order.customer_reference = f"PROM-{i}"
            order.save(update_fields=["customer_reference"])
        invoices.append(invoice)
    today = today_text()
    rows = []
    halves = {}
    for inv in invoices:  # 90 lines: the first half of each invoice, by invoice number
        half = quantize(inv.payable_amount / 2, "UAH")
        halves[inv.pk] = half
        rows.append(row(ref=f"TTN{inv.pk:06d}A", invoice=inv.number, gross=half, date=today))
    for i, inv in enumerate(invoices):  # 90 lines: the rest, by order number or reference
        rest = inv.payable_amount - halves[inv.pk]
        if i < 80:
            rows.append(
                row(ref=f"TTN{inv.pk:06d}B", order=inv.order.number, gross=rest, date=today)
            )
        else:
            rows.append(row(ref=f"PROM-{i}", gross=rest, date=today))
    for n in range(10):  # unknown references
        rows.append(row(ref=f"TTN-LOST-{n}", gross=D("150.00"), date=today))
    for _n in range(5):  # nothing to match by
        rows.append(row(gross=D("75.50"), date=today))
    for n in range(5):  # an invoice already closed by the lines above
        rows.append(
            row(ref=f"TTN-AGAIN-{n}", invoice=invoices[n].number, gross=D("10.00"), date=today)
        )
    assert len(rows) == 200
    data = csv_of(rows)

    # the preview says what will happen and writes nothing
    preview = payout_import(by=accountant, intermediary=carrier, data=data, number="R-1")
    assert (preview.matched, preview.to_review, preview.error_count) == (180, 20, 0)
    assert not PayoutReport.objects.exists() and not Payment.objects.exists()

    # when it is imported
    result = payout_import(
        by=accountant, intermediary=carrier, data=data, number="R-1", dry_run=False
    )
    assert (result.matched, result.to_review) == (180, 20)
    report = PayoutReport.objects.get()
    gross = sum((D(r[4]) for r in rows), ZERO)
    commission = sum((D(r[5]) for r in rows), ZERO)
    net = sum((D(r[6]) for r in rows), ZERO)
    assert (report.gross_total, report.commission_total, report.net_total) == (
        gross,
        commission,
        net,
    )
    # then the matched debts are closed by the GROSS amount
    matched = PayoutLine.objects.filter(status=LineStatus.MATCHED)
    assert matched.count() == 180
    payments = list(Payment.objects.all())
    assert len(payments) == 180
    assert sum((p.amount for p in payments), ZERO) == sum((m.gross for m in matched), ZERO)
    assert all(open_amount(inv) == ZERO for inv in invoices)
    assert Allocation.objects.count() == 180
    # the rest waits for review, each with its reason
    reasons = dict(
        PayoutLine.objects.filter(status=LineStatus.UNMATCHED)
        .values_list("reason")
        .annotate(n=Count("pk"))
    )
    assert reasons == {"reference_unknown": 10, "reference_missing": 5, "nothing_open": 5}
    # the commission is booked as the intermediary's entries, and its balance is what it owes
    entries = IntermediaryEntry.objects.filter(intermediary=carrier)
    assert entries.filter(kind=EntryKind.COMMISSION).count() == 200
    totals = {
        k: sum((e.amount for e in entries.filter(kind=k)), ZERO)
        for k in (EntryKind.COLLECTED, EntryKind.COMMISSION, EntryKind.TRANSFERRED)
    }
    assert totals == {"collected": gross, "commission": -commission, "transferred": -net}
    assert intermediary_balance(carrier) == {"UAH": D("0.00")}
    # every matched line is in its order's history
    assert Event.objects.filter(action="payments.payout_line.matched").count() == 180
    assert Event.objects.filter(action="payments.payout_report.imported").count() == 1


def test_broken_rows_refuse_the_whole_file_with_a_reason_per_row(accountant, carrier):
    rows = [
        row(ref="A1", gross=D("100.00")),
        ("A2", "", "", "31.02.2026", "100.00", "22.00", "78.00"),
        ("A3", "", "", "01.11.2026", "сто", "22.00", "78.00"),
        ("A4", "", "", "01.11.2026", "-5.00", "0.00", "-5.00"),
        ("A5", "", "", "01.11.2026", "10.005", "0.00", "10.005"),
        ("A6", "", "", "01.11.2026", "100.00", "22.00", "77.00"),
        row(ref="A1", gross=D("50.00")),
    ]
    with pytest.raises(DomainError) as info:
        payout_import(
            by=accountant, intermediary=carrier, data=csv_of(rows, total=False), dry_run=False
        )
    assert info.value.code == "payout_report_invalid"
    codes = {r["row"]: [e["code"] for e in r["errors"]] for r in info.value.fields["rows"]}
    assert sorted(codes) == [3, 4, 5, 6, 7, 8]
    expected = {
        3: "date_invalid",
        4: "amount_invalid",
        5: "amount_not_positive",
        6: "number_precision",
        7: "line_totals_mismatch",
        8: "payout_line_repeated",
    }
    assert all(code in codes[n] for n, code in expected.items()), codes
    assert not PayoutReport.objects.exists() and not IntermediaryEntry.objects.exists()


def test_a_total_line_or_a_bank_amount_that_does_not_add_up_is_refused(accountant, carrier):
    rows = [row(ref="B1"), row(ref="B2")]
    data = csv_of(rows, total=False) + "Разом;;;;;200.00;44.00;150.00\n"
    with pytest.raises(DomainError) as info:
        payout_import(by=accountant, intermediary=carrier, data=data, dry_run=False)
    assert info.value.code == "payout_totals_mismatch" and "net" in info.value.fields
    with pytest.raises(DomainError) as info:
        payout_import(
            by=accountant,
            intermediary=carrier,
            data=csv_of(rows),
            expected_net_total="150.00",
            dry_run=False,
        )
    assert info.value.code == "payout_totals_mismatch"
    assert not PayoutReport.objects.exists()


def test_the_same_report_twice_and_a_line_seen_before_are_refused(accountant, carrier):
    data = csv_of([row(ref="C1")])
    payout_import(by=accountant, intermediary=carrier, data=data, number="N1", dry_run=False)
    for number in ("N1", "N2"):  # the same number, or the same file under another number
        with pytest.raises(DomainError) as info:
            payout_import(by=accountant, intermediary=carrier, data=data, number=number)
        assert info.value.code == "payout_report_duplicate"
    with pytest.raises(DomainError) as info:
        payout_import(
            by=accountant,
            intermediary=carrier,
            data=csv_of([row(ref="C1", gross=D("55.00"))]),
            number="N3",
            dry_run=False,
        )
    assert info.value.fields["rows"][0]["errors"][0]["code"] == "payout_line_duplicate"


def test_a_mapping_that_does_not_fit_the_file_is_refused(accountant, carrier):
    data = csv_of([row(ref="D1")])
    for mapping, code in (
        ({"reference": "ТТН", "gross": "Сума"}, "mapping_incomplete"),
        ({**MAPPING, "gross": "Amount"}, "mapping_column_missing"),
        ({**MAPPING, "colour": "Сума"}, "mapping_invalid"),
    ):
        with pytest.raises(DomainError) as info:
            payout_import(by=accountant, intermediary=carrier, data=data, mapping=mapping)
        assert info.value.code == code
    with pytest.raises(DomainError) as info:
        payout_import(by=accountant, intermediary=carrier, data="")
    assert info.value.code == "report_empty"


def test_commission_comes_from_the_terms_when_the_file_has_none(
    accountant, manager, priced_product, price_list
):
    agent = intermediary_create(
        by=accountant,
        name="Rozetka",
        kind="marketplace",
        commission_percent="5",
        commission_fixed="0",
        commission_withheld=False,  # it transfers everything and invoices its fee apart
        column_mapping={"order_number": "order", "date": "date", "gross": "paid"},
        delimiter=",",
    )
    customer = CustomerFactory(manager=manager)
    order, invoice = invoiced_order(manager, customer, priced_product, price_list)
    data = f"order,date,paid\n{order.number},{today_text()},{invoice.payable_amount}\n"
    result = payout_import(by=accountant, intermediary=agent, data=data, dry_run=False)
    line = PayoutLine.objects.get()
    fee = quantize(invoice.payable_amount * D("0.05"), "UAH")
    assert (line.commission, line.net, line.status) == (fee, invoice.payable_amount, "matched")
    assert result.matched == 1 and open_amount(invoice) == ZERO
    # it owes us nothing for the money; we owe it the fee
    assert intermediary_balance(agent) == {"UAH": -fee}


def test_a_commission_other_than_the_terms_is_flagged_not_refused(accountant, carrier):
    result = payout_import(
        by=accountant,
        intermediary=carrier,
        data=csv_of([row(ref="E1", gross=D("1000.00"), commission=D("50.00"))]),
    )
    [line] = result.lines
    assert line.status == "ok" and line.warnings[0]["code"] == "commission_differs"
    assert line.commission_expected == "40.00"


def test_a_waiting_line_is_matched_by_hand_or_dismissed_with_a_reason(
    accountant, carrier, manager, priced_product, price_list
):
    customer = CustomerFactory(manager=manager)
    order, invoice = invoiced_order(manager, customer, priced_product, price_list)
    data = csv_of(
        [row(ref="LOST-1", gross=invoice.payable_amount, date=today_text()), row(ref="LOST-2")]
    )
    payout_import(by=accountant, intermediary=carrier, data=data, dry_run=False)
    first, second = PayoutLine.objects.order_by("row")
    assert first.status == second.status == LineStatus.UNMATCHED
    with pytest.raises(DomainError, match="payments_not_permitted"):
        payout_line_match(by=manager, line=first, invoice=invoice)
    with pytest.raises(DomainError, match="payout_target_required"):
        payout_line_match(by=accountant, line=first)
    line = payout_line_match(by=accountant, line=first, order=order)
    assert line.status == LineStatus.MATCHED and line.matched_by_hand
    assert line.payment.amount == invoice.payable_amount and open_amount(invoice) == ZERO
    with pytest.raises(DomainError, match="payout_line_resolved"):
        payout_line_match(by=accountant, line=first, invoice=invoice)
    with pytest.raises(DomainError, match="nothing_open"):
        payout_line_match(by=accountant, line=second, invoice=invoice)
    with pytest.raises(DomainError, match="resolution_reason_required"):
        payout_line_dismiss(by=accountant, line=second, reason="")
    line = payout_line_dismiss(by=accountant, line=second, reason="not our parcel")
    assert (line.status, line.dismissed_reason) == (LineStatus.DISMISSED, "not our parcel")
    assert Event.objects.filter(
        stream=f"orders.order:{order.pk}", action="payments.payout_line.matched"
    ).exists()


def test_intermediary_terms_are_checked(accountant, carrier, manager):
    with pytest.raises(DomainError, match="commission_invalid"):
        intermediary_create(by=accountant, name="X", kind="payment_agent", commission_percent="100")
    with pytest.raises(DomainError, match="commission_invalid"):
        intermediary_update(by=accountant, intermediary=carrier, commission_fixed="-1")
    with pytest.raises(DomainError, match="intermediary_code_taken"):
        intermediary_create(by=accountant, code="nova-poshta", name="Копія", kind="cod_carrier")
    with pytest.raises(DomainError, match="payments_not_permitted"):
        intermediary_create(by=manager, name="Y", kind="payment_agent")
    changed = intermediary_update(by=accountant, intermediary=carrier, commission_percent="1.5")
    assert changed.commission_percent == D("1.5")
    assert Event.objects.filter(action="payments.intermediary.changed").exists()


def test_the_agents_report_pdf_has_its_ukrainian_text(accountant, carrier):
    from orderdesk.billing.pdf import PdfUnavailable
    from orderdesk.payments.pdf import payout_report_pdf

    payout_import(
        by=accountant,
        intermediary=carrier,
        data=csv_of([row(ref="P1", gross=D("1200.50"))]),
        number="NP-77",
        dry_run=False,
    )
    report = PayoutReport.objects.get()
    try:
        name, data = payout_report_pdf(report)
    except PdfUnavailable:
        pytest.skip("WeasyPrint cannot load here")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    text = text.replace("\xa0", " ")
    assert "Звіт агента" in text and "Нова Пошта" in text and "NP-77" in text
    assert "1 200,50" in text and "НП-15/2026" in text
    assert name.endswith("-uk.pdf")
    _name, english = payout_report_pdf(report, lang="en")
    assert "Agent's report" in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(english)).pages
    )


def test_the_fixed_commission_is_charged_per_item(accountant):
    carrier = IntermediaryFactory(commission_percent=D("1"), commission_fixed=D("15"))
    data = "ref;date;items;gross\nQ1;01.01.2099;3;1000.00\n"
    result = payout_import(
        by=accountant,
        intermediary=carrier,
        data=data,
        mapping={"reference": "ref", "date": "date", "items": "items", "gross": "gross"},
        dry_run=False,
    )
    line = PayoutLine.objects.get()
    assert (line.items, line.commission, line.net) == (3, D("55.00"), D("945.00"))
    assert result.commission_total == D("55.00")
    assert intermediary_balance(carrier) == {"UAH": D("0.00")}
