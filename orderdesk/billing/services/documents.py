"""Billing documents: create drafts from the order, post (number + ledger), reverse.

Every write locks the order row first (one writer per order; the history chain), then the
document row. Posting takes the next number of the document's series for the year as the
last step, so the counter row is held for the shortest time and numbers stay gap-free: a
rolled-back posting gives its number back. A posted document is immutable
(`document_posted`); it is corrected by reversal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.core.money import ZERO, quantize
from orderdesk.core.services import rate_for
from orderdesk.credit.services import invoiced
from orderdesk.customers.choices import PREPAYMENT_TRIGGERS
from orderdesk.orders.calculations import Amounts, line_amounts
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order, OrderLine
from orderdesk.receivables import services as ledger
from orderdesk.receivables.models import ItemKind, OpenItem, Side

from .. import calculations as calc
from ..models import (
    CashReceipt,
    CreditNote,
    CreditNoteLine,
    CreditNoteReason,
    DeliveryNote,
    DeliveryNoteLine,
    Document,
    DocumentStatus,
    Invoice,
    InvoiceInstalment,
    InvoiceKind,
    InvoiceLine,
    PaymentMethodKind,
)
from ..permissions import can_create_prepayment
from . import _common as c
from .state import order_payment_refresh

DRAFT_EDITABLE = {
    "invoice": {"comment", "document_date"},
    "delivery_note": {"comment", "document_date"},
    "credit_note": {"comment", "document_date"},
    "cash_receipt": {"comment", "document_date", "amount", "received_from", "basis"},
}


def _require_confirmed(order: Order) -> None:
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.CLOSED):
        raise Conflict(
            _("Order %(n)s is not confirmed.") % {"n": order.number}, code="order_not_confirmed"
        )


def _new_doc(model, source: Order, by, /, **fields: Any):
    fields.setdefault("exchange_rate", source.exchange_rate)
    return model(
        customer=source.customer,
        contract=source.contract,
        currency_id=source.currency_id,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **fields,
    )


# --- invoices ---------------------------------------------------------------------------------


def _terms(order: Order) -> list[tuple[int, str, int, Decimal]]:
    instalments = [
        (i.position, i.trigger, i.days, i.share_percent)
        for i in order.payment_terms.instalments.all().order_by("position")
    ]
    return instalments or [(1, "after_invoice", 0, Decimal("100"))]


def _prepayment_total(order: Order) -> Decimal:
    """What posted prepayment invoices asked for, less what credit notes took back."""
    asked = (
        Invoice.objects.filter(
            order=order, kind=InvoiceKind.PREPAYMENT, status=DocumentStatus.POSTED
        ).aggregate(t=Sum("payable_amount"))["t"]
        or ZERO
    )
    credited = (
        CreditNote.objects.filter(
            order=order,
            invoice__kind=InvoiceKind.PREPAYMENT,
            invoice__status=DocumentStatus.POSTED,
            status=DocumentStatus.POSTED,
        ).aggregate(t=Sum("credit_amount"))["t"]
        or ZERO
    )
    return quantize(max(ZERO, asked - credited), order.currency_id)


def _prepayment_used(order: Order, exclude: Invoice | None = None) -> Decimal:
    qs = Invoice.objects.filter(
        order=order,
        kind__in=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER],
        status__in=c.ACTIVE,
    )
    if exclude is not None and exclude.pk:
        qs = qs.exclude(pk=exclude.pk)
    return quantize(qs.aggregate(t=Sum("prepayment_deducted"))["t"] or ZERO, order.currency_id)


def _plan_instalments(invoice: Invoice, order: Order, *, on: dt.date, final: bool) -> None:
    """Set `prepayment_deducted`, `payable_amount`, `due_date` and the (unsaved) instalment
    rows of `invoice` for an issue date `on`."""
    terms = _terms(order)
    currency = invoice.currency_id
    amounts = calc.split_by_shares(invoice.gross_amount, [t[3] for t in terms], currency)
    prepaid = [t[1] in PREPAYMENT_TRIGGERS for t in terms]
    if invoice.kind == InvoiceKind.PREPAYMENT:
        amounts = [a if p else ZERO for a, p in zip(amounts, prepaid, strict=True)]
        deduction = ZERO
    else:
        remaining = max(ZERO, _prepayment_total(order) - _prepayment_used(order, invoice))
        natural = sum((a for a, p in zip(amounts, prepaid, strict=True) if p), ZERO)
        deduction = min(invoice.gross_amount, remaining) if final else min(natural, remaining)
        amounts = calc.apply_deduction(amounts, prepaid, deduction)
    rows = []
    for (position, trigger, days, share), amount in zip(terms, amounts, strict=True):
        if amount <= ZERO:
            continue
        rows.append(
            InvoiceInstalment(
                position=position,
                trigger=trigger,
                days=days,
                share_percent=share,
                amount=amount,
                due_date=calc.due_date(
                    trigger,
                    days,
                    issue_date=on,
                    shipped_on=invoice.shipped_on,
                    planned_shipment=order.requested_delivery_date,
                ),
            )
        )
    invoice.prepayment_deducted = deduction
    invoice.payable_amount = sum((r.amount for r in rows), ZERO)
    invoice.due_date = max((r.due_date for r in rows), default=None)
    invoice._planned = rows


def _save_instalments(invoice: Invoice) -> None:
    invoice.instalments.all().delete()
    for row in invoice._planned:
        row.invoice = invoice
    InvoiceInstalment.objects.bulk_create(invoice._planned)


def _invoice_lines_for(
    order: Order, wanted: list[tuple[OrderLine, Decimal]] | None, *, kinds: list[str], limit: str
) -> tuple[list[dict], bool]:
    """Lines for an invoice of `wanted` quantities (None: everything not yet invoiced), each
    checked against what is shipped (limit="shipped") or ordered (limit="ordered") less what
    active invoices of `kinds` cover. Returns the line fields and whether the order is then
    completely invoiced."""
    done = c.covered(InvoiceLine, "invoice", order, kind__in=kinds)
    lines = list(order.lines.select_related("product").order_by("position"))
    wanted_map = {line.pk: qty for line, qty in wanted} if wanted is not None else None
    fields, complete = [], True
    for index, line in enumerate(lines):
        cov = done.get(line.pk) or c.Covered(ZERO, Amounts(ZERO, ZERO, ZERO))
        ceiling = line.shipped_quantity if limit == "shipped" else c.effective_quantity(line)
        available = ceiling - cov.quantity
        if wanted_map is None:
            qty = max(ZERO, c.effective_quantity(line) - cov.quantity)
        else:
            qty = wanted_map.get(line.pk, ZERO)
        if qty > ZERO and qty > available:
            raise ValidationFailed(
                _("Line %(p)s: %(q)s is more than the %(a)s not invoiced yet.")
                % {"p": line.position, "q": qty, "a": max(available, ZERO)},
                code="invoice_exceeds_shipped" if limit == "shipped" else "invoice_exceeds_ordered",
                fields={f"lines[{index}].quantity": str(qty)},
            )
        if qty > ZERO:
            amounts = calc.part_of_line(
                quantity=qty,
                line_quantity=c.effective_quantity(line),
                line_amounts_total=c.effective_amounts(line, order.currency_id),
                done_quantity=cov.quantity,
                done_amounts=cov.amounts,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                vat_rate=line.vat_rate,
                currency=order.currency_id,
            )
            fields.append(c.line_fields(line, qty, amounts, len(fields) + 1))
        if cov.quantity + qty < c.effective_quantity(line):
            complete = False
    if not fields:
        raise ValidationFailed(_("Nothing is left to invoice."), code="nothing_to_invoice")
    return fields, complete


def _create_invoice(
    *,
    by,
    order: Order,
    kind: str,
    line_fields: list[dict],
    final: bool,
    shipped_on: dt.date | None = None,
    shipment_ref: str = "",
    comment: str = "",
) -> Invoice:
    invoice = _new_doc(
        Invoice,
        order,
        by,
        kind=kind,
        order=order,
        shipped_on=shipped_on,
        shipment_ref=shipment_ref,
        comment=comment,
    )
    lines = [InvoiceLine(**f) for f in line_fields]
    c.set_totals(invoice, lines)
    _plan_instalments(invoice, order, on=c.today(), final=final)
    invoice.save()
    order.has_invoice = True  # a lock fact (hooks.lock_fact) kept true for this instance
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    _save_instalments(invoice)
    c.history(order, by, [c.doc_entry("billing.invoice.created", invoice)])
    return invoice


@atomic_with_retry
def invoice_create_prepayment(*, by, order: Order | int, comment: str = "") -> Invoice:
    """A prepayment invoice (рахунок на оплату) for the prepayment instalments of the order's
    terms, over everything not invoiced yet.

    Rules: an accountant, or a seller who may edit the order (`billing_not_permitted`); the
    order confirmed (`order_not_confirmed`); terms that ask for prepayment
    (`prepayment_not_required`); no other active prepayment invoice
    (`prepayment_invoice_exists`, 409).
    """
    order = c.lock_order(order)
    if not can_create_prepayment(by, order):
        raise PermissionRefused(
            _("You may not invoice order %(n)s.") % {"n": order.number},
            code="billing_not_permitted",
        )
    _require_confirmed(order)
    if not any(t[1] in PREPAYMENT_TRIGGERS for t in _terms(order)):
        raise ValidationFailed(
            _("The order's payment terms ask for no prepayment."), code="prepayment_not_required"
        )
    if Invoice.objects.filter(
        order=order, kind=InvoiceKind.PREPAYMENT, status__in=c.ACTIVE
    ).exists():
        raise Conflict(
            _("Order %(n)s has a prepayment invoice already.") % {"n": order.number},
            code="prepayment_invoice_exists",
        )
    fields, _complete = _invoice_lines_for(
        order, None, kinds=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER], limit="ordered"
    )
    return _create_invoice(
        by=by,
        order=order,
        kind=InvoiceKind.PREPAYMENT,
        line_fields=fields,
        final=False,
        comment=comment,
    )


@atomic_with_retry
def invoice_create(
    *,
    by,
    order: Order | int,
    kind: str,
    lines: list[tuple[Any, Any]] | None = None,
    shipped_on: dt.date | None = None,
    shipment_ref: str = "",
    comment: str = "",
    check: bool = True,
) -> Invoice:
    """An invoice draft for shipped goods (`kind="shipment"`, the lines and quantities given,
    within what shipped and is not invoiced: `invoice_exceeds_shipped`) or for the whole
    order (`kind="order"`, everything not invoiced yet). A prepayment invoice goes through
    `invoice_create_prepayment`. Earlier prepayment invoices are deducted from what this one
    asks for. Raises `billing_not_permitted`, `order_not_confirmed`, `invoice_kind_invalid`,
    `line_unknown`, `quantity_not_positive`, `nothing_to_invoice`.
    """
    if kind == InvoiceKind.PREPAYMENT:
        return invoice_create_prepayment(by=by, order=order, comment=comment)
    order = c.lock_order(order)
    if check:
        c.require_accounting(by, _("invoice"))
    if kind not in (InvoiceKind.SHIPMENT, InvoiceKind.ORDER):
        raise ValidationFailed(
            _("Unknown invoice kind “%(k)s”.") % {"k": kind},
            code="invoice_kind_invalid",
            fields={"kind": str(kind)},
        )
    _require_confirmed(order)
    kinds = [InvoiceKind.SHIPMENT, InvoiceKind.ORDER]
    if kind == InvoiceKind.SHIPMENT:
        wanted = c.resolve_lines(order, lines or [])
        fields, complete = _invoice_lines_for(order, wanted, kinds=kinds, limit="shipped")
    else:
        fields, complete = _invoice_lines_for(order, None, kinds=kinds, limit="ordered")
    return _create_invoice(
        by=by,
        order=order,
        kind=kind,
        line_fields=fields,
        final=complete,
        shipped_on=shipped_on,
        shipment_ref=shipment_ref,
        comment=comment,
    )


def _is_final(invoice: Invoice, order: Order) -> bool:
    if invoice.kind == InvoiceKind.PREPAYMENT:
        return False
    done = c.covered(
        InvoiceLine, "invoice", order, kind__in=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER]
    )
    return all(
        (done.get(line.pk).quantity if line.pk in done else ZERO) >= c.effective_quantity(line)
        for line in order.lines.all()
    )


def _open_credits(order: Order) -> list[OpenItem]:
    """Credits that later invoices of the order use up: the order's own, then the
    customer's credits that name no order; oldest first."""
    items = OpenItem.objects.filter(
        customer_id=order.customer_id, side=Side.CREDIT, open_amount__gt=0
    ).filter(order_id__in=[order.pk]) | OpenItem.objects.filter(
        customer_id=order.customer_id, side=Side.CREDIT, open_amount__gt=0, order_id__isnull=True
    )
    return sorted(items, key=lambda i: (i.order_id != order.pk, i.posting_date, i.pk))


def _post_invoice(by, invoice: Invoice, order: Order, on: dt.date) -> list:
    if (
        invoice.kind == InvoiceKind.PREPAYMENT
        and Invoice.objects.filter(
            order=order,
            kind__in=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER],
            status=DocumentStatus.POSTED,
        ).exists()
    ):
        raise Conflict(
            _("The order is invoiced for its goods already; a prepayment invoice comes first."),
            code="prepayment_invoice_too_late",
        )
    invoice.exchange_rate = rate_for(invoice.currency_id, on)
    c.set_totals(invoice, invoice.lines.all())
    _plan_instalments(invoice, order, on=on, final=_is_final(invoice, order))
    _save_instalments(invoice)
    items = []
    for row in invoice.instalments.all().order_by("position"):
        item = ledger.item_post(
            customer=invoice.customer,
            contract=invoice.contract,
            currency=invoice.currency_id,
            side=Side.DEBIT,
            kind=ItemKind.INVOICE,
            doc_type=invoice.doc_type,
            doc_id=invoice.pk,
            doc_number="",
            order_id=order.pk,
            instalment=row.position,
            trigger=row.trigger,
            posting_date=on,
            due_date=row.due_date,
            amount=row.amount,
            rate=invoice.exchange_rate,
        )
        row.open_item = item
        row.save(update_fields=["open_item"])
        items.append(item)
    # prepayments and other credits waiting for this order settle the new instalments
    allocations = ledger.settle(
        by=by,
        debits=sorted(items, key=lambda i: (i.due_date, i.pk)),
        credits=_open_credits(order),
        on=on,
    )
    return allocations


def _post_credit_note(by, note: CreditNote, order: Order, on: dt.date) -> list:
    note.exchange_rate = rate_for(note.currency_id, on)
    lines = list(note.lines.all())
    if lines:
        c.set_totals(note, lines)
    else:
        note.base_gross_amount = c.base_amount(note.gross_amount, note.exchange_rate)
    if note.reason != CreditNoteReason.CORRECTION or note.credit_amount <= ZERO:
        note.credit_amount = _credit_amount(note)
    if note.credit_amount <= ZERO:
        raise ValidationFailed(_("The credit note credits nothing."), code="nothing_to_credit")
    item = ledger.item_post(
        customer=note.customer,
        contract=note.contract,
        currency=note.currency_id,
        side=Side.CREDIT,
        kind=ItemKind.CREDIT_NOTE,
        doc_type=note.doc_type,
        doc_id=note.pk,
        doc_number="",
        order_id=order.pk,
        posting_date=on,
        amount=note.credit_amount,
        rate=note.exchange_rate,
        description=note.get_reason_display(),
    )
    debits = OpenItem.objects.filter(
        order_id=order.pk, side=Side.DEBIT, open_amount__gt=0, customer_id=note.customer_id
    )
    own = [
        d
        for d in debits
        if note.invoice_id and d.doc_type == "invoice" and d.doc_id == note.invoice_id
    ]
    # the corrected invoice's last instalments first, then the order's others, oldest first
    ordered = sorted(own, key=lambda d: (d.due_date, d.pk), reverse=True) + sorted(
        (d for d in debits if d not in own), key=lambda d: (d.due_date, d.pk)
    )
    return ledger.settle(by=by, debits=ordered, credits=[item], on=on)


def _credit_amount(note: CreditNote) -> Decimal:
    """Returned goods are credited in full; a cancelled line by the share of it that the
    corrected invoice asked for (a 50 % prepayment invoice: half)."""
    if (
        note.reason == CreditNoteReason.LINE_CANCELLED
        and note.invoice_id
        and note.invoice.gross_amount > ZERO
    ):
        share = note.invoice.payable_amount / note.invoice.gross_amount
        return quantize(note.gross_amount * share, note.currency_id)
    return note.gross_amount


def _post_cash_receipt(by, receipt: CashReceipt, on: dt.date) -> list:
    from .payments import _payment_post

    payment, allocations = _payment_post(
        by=by,
        customer=receipt.customer,
        order=receipt.order,
        amount=receipt.gross_amount,
        currency=receipt.currency_id,
        payment_date=on,
        method=PaymentMethodKind.CASH,
        payer_name=receipt.received_from,
        purpose=receipt.basis,
        allocations="auto",
    )
    receipt.payment = payment
    receipt.exchange_rate = payment.exchange_rate
    receipt.base_gross_amount = c.base_amount(receipt.gross_amount, receipt.exchange_rate)
    return allocations


def _lock_for(doc_type: str, pk: Any) -> tuple[Document, Order | None]:
    """Lock the document's order (if any) and then the document."""
    model = c.DOCUMENT_MODELS[doc_type]
    peek = (
        model.objects.filter(pk=pk).values_list("order_id", flat=True).first()
        if str(pk).isdigit()
        else None
    )
    order = c.lock_order(peek) if peek else None
    return c.lock_document(model, pk), order


@atomic_with_retry
def document_post(
    *, by, doc_type: str, pk: Any, on: dt.date | None = None, check: bool = True
) -> Document:
    """Post a draft: the date (today), the exchange rate of that day, the ledger effect
    (invoice: one debit item per instalment, settled at once by waiting credits; credit
    note: a credit item settling the corrected invoice; cash receipt: the payment), and the
    next number of the document's series for the year, taken last.

    Raises `billing_not_permitted`, `document_already_posted` / `document_reversed` (409),
    `prepayment_invoice_too_late`, `nothing_to_credit`, `exchange_rate_missing`.
    """
    doc, order = _lock_for(doc_type, pk)
    if check:
        c.require_accounting(by, _("post"))
    c.require_postable(doc)
    on = on or c.today()
    if doc_type == "invoice":
        allocations = _post_invoice(by, doc, order, on)
        _tell_credit(order, doc, sign=1)
    elif doc_type == "credit_note":
        allocations = _post_credit_note(by, doc, order, on)
    elif doc_type == "cash_receipt":
        _post_cash_receipt(by, doc, on)
        allocations = []  # the payment's own history names them
    else:
        doc.exchange_rate = rate_for(doc.currency_id, on)
        c.set_totals(doc, doc.lines.all())
        allocations = []
    before = doc.status
    doc.status = DocumentStatus.POSTED
    doc.document_date = on
    doc.posted_by = by if getattr(by, "is_authenticated", False) else None
    doc.posted_at = timezone.now()
    doc.number = c.take_number(doc, on)  # last: the series row stays locked until commit
    doc.save()
    _number_items(doc)
    if order is not None:
        entries = [c.status_entry(f"billing.{doc_type}.posted", doc, before, date=on)]
        entries += [_allocation_entry(a) for a in allocations]
        c.history(order, by, entries)
        order_payment_refresh(by=by, order=order, reason=doc.number)
    c.after_commit("document posted", doc_type=doc_type, pk=doc.pk, number=doc.number)
    return doc


def _tell_credit(order: Order, invoice: Invoice, *, sign: int) -> None:
    """Credit control: what the invoice put on the ledger leaves the order's committed amount
    (posting), or comes back to it (reversal) — at the order's rate, as it was committed."""
    total = OpenItem.objects.filter(
        doc_type=invoice.doc_type, doc_id=invoice.pk, side=Side.DEBIT, reverses__isnull=True
    ).aggregate(total=Sum("amount"))["total"]
    if total:
        invoiced(
            order_id=order.pk,
            amount=sign * Decimal(str(total)) * order.exchange_rate,
            customer=order.customer_id,
            order_number=order.number,
        )


def _number_items(doc: Document) -> None:
    OpenItem.objects.filter(doc_type=doc.doc_type, doc_id=doc.pk).update(doc_number=doc.number)
    if isinstance(doc, CashReceipt) and doc.payment_id:
        OpenItem.objects.filter(pk=doc.payment.credit_item_id).update(doc_number=doc.number)


def _allocation_entry(allocation) -> Any:
    from orderdesk.audit.services import Entry

    return Entry(
        "billing.allocation.created",
        allocation,
        {},
        {
            "invoice": allocation.debit.doc_number,
            "by_document": allocation.credit.doc_number,
            "amount": allocation.amount,
            "currency": allocation.debit.currency_id,
            "credit_amount": allocation.credit_amount,
            "credit_currency": allocation.credit.currency_id,
            "exchange_difference": allocation.exchange_difference,
            "date": allocation.date,
        },
    )


@atomic_with_retry
def document_reverse(
    *, by, doc_type: str, pk: Any, reason: str = "", on: dt.date | None = None
) -> Document:
    """Reverse a posted document (the only correction of a posted document).

    Invoice: a storno credit note (posted, numbered) mirrors every instalment; payments that
    had settled them become the customer's credit again. Credit note: its credit is undone.
    Cash receipt: its payment is reversed. Delivery note: marked reversed.
    Raises `billing_not_permitted`, `reversal_reason_required`, `document_not_posted`,
    `document_reversed` (409).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the document is reversed."),
            code="reversal_reason_required",
            fields={"reason": None},
        )
    doc, order = _lock_for(doc_type, pk)
    c.require_accounting(by, _("reverse"))
    c.require_reversible(doc)
    on = on or c.today()
    entries = []
    if doc_type == "invoice":
        storno = _storno_credit_note(by, doc, order, reason, on)
        _tell_credit(order, doc, sign=-1)
        entries.append(
            c.status_entry(
                "billing.credit_note.posted", storno, DocumentStatus.DRAFT, reverses=doc.number
            )
        )
    elif doc_type == "credit_note":
        item = OpenItem.objects.get(
            doc_type="credit_note", doc_id=doc.pk, reverses__isnull=True, kind=ItemKind.CREDIT_NOTE
        )
        ledger.item_reverse(
            by=by, item=item, on=on, doc_type="credit_note", doc_id=doc.pk, doc_number=doc.number
        )
    elif doc_type == "cash_receipt":
        from .payments import _payment_reverse

        _payment_reverse(by=by, payment=doc.payment, reason=reason, on=on)
    before = doc.status
    doc.status = DocumentStatus.REVERSED
    doc.reversed_by = by
    doc.reversed_at = timezone.now()
    doc.reversal_reason = reason
    doc.save()
    if order is not None:
        entries.insert(
            0, c.status_entry(f"billing.{doc_type}.reversed", doc, before, reason=reason)
        )
        c.history(order, by, entries)
        order_payment_refresh(by=by, order=order, reason=doc.number)
    c.after_commit("document reversed", doc_type=doc_type, pk=doc.pk, number=doc.number)
    return doc


def _storno_credit_note(by, invoice: Invoice, order: Order, reason: str, on: dt.date) -> CreditNote:
    note = _new_doc(
        CreditNote,
        order,
        by,
        order=order,
        invoice=invoice,
        reason=CreditNoteReason.REVERSAL,
        comment=reason,
        exchange_rate=invoice.exchange_rate,
    )
    note.currency_id = invoice.currency_id
    lines = [
        CreditNoteLine(
            **{
                f: getattr(line, f)
                for f in (
                    "order_line_id",
                    "position",
                    "sku",
                    "description",
                    "unit",
                    "quantity",
                    "unit_price",
                    "discount_percent",
                    "vat_rate",
                    "net_amount",
                    "vat_amount",
                    "gross_amount",
                )
            }
        )
        for line in invoice.lines.all()
    ]
    c.set_totals(note, lines)
    note.credit_amount = invoice.payable_amount
    note.status = DocumentStatus.POSTED
    note.document_date = on
    note.posted_by = by
    note.posted_at = timezone.now()
    note.save()
    for line in lines:
        line.credit_note = note
    CreditNoteLine.objects.bulk_create(lines)
    for item in OpenItem.objects.filter(
        doc_type="invoice", doc_id=invoice.pk, kind=ItemKind.INVOICE
    ).order_by("pk"):
        ledger.item_reverse(
            by=by, item=item, on=on, doc_type="credit_note", doc_id=note.pk, doc_number=""
        )
    note.number = c.take_number(note, on)
    note.save(update_fields=["number"])
    OpenItem.objects.filter(doc_type="credit_note", doc_id=note.pk).update(doc_number=note.number)
    return note


# --- delivery notes, credit notes, cash receipts -----------------------------------------------


@atomic_with_retry
def delivery_note_create(
    *,
    by,
    order: Order | int,
    lines: list[tuple[Any, Any]],
    shipped_on: dt.date | None = None,
    shipment_ref: str = "",
    invoice: Invoice | None = None,
    check: bool = True,
) -> DeliveryNote:
    """A delivery note (видаткова накладна) draft for shipped goods, within what shipped and
    no other active delivery note covers (`delivery_exceeds_shipped`)."""
    order = c.lock_order(order)
    if check:
        c.require_accounting(by, _("delivery note"))
    _require_confirmed(order)
    wanted = c.resolve_lines(order, lines)
    done = c.covered(DeliveryNoteLine, "delivery_note", order)
    fields = []
    for index, (line, qty) in enumerate(wanted):
        cov = done.get(line.pk) or c.Covered(ZERO, Amounts(ZERO, ZERO, ZERO))
        if cov.quantity + qty > line.shipped_quantity:
            raise ValidationFailed(
                _("Line %(p)s: %(q)s is more than shipped and not on a delivery note yet.")
                % {"p": line.position, "q": qty},
                code="delivery_exceeds_shipped",
                fields={f"lines[{index}].quantity": str(qty)},
            )
        amounts = calc.part_of_line(
            quantity=qty,
            line_quantity=c.effective_quantity(line),
            line_amounts_total=c.effective_amounts(line, order.currency_id),
            done_quantity=cov.quantity,
            done_amounts=cov.amounts,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            vat_rate=line.vat_rate,
            currency=order.currency_id,
        )
        fields.append(c.line_fields(line, qty, amounts, len(fields) + 1))
    note = _new_doc(
        DeliveryNote,
        order,
        by,
        order=order,
        invoice=invoice,
        shipped_on=shipped_on or c.today(),
        shipment_ref=shipment_ref,
    )
    objs = [DeliveryNoteLine(**f) for f in fields]
    c.set_totals(note, objs)
    note.save()
    for obj in objs:
        obj.delivery_note = note
    DeliveryNoteLine.objects.bulk_create(objs)
    c.history(
        order, by, [c.doc_entry("billing.delivery_note.created", note, shipment=shipment_ref)]
    )
    return note


def _returned_so_far(order: Order) -> dict[int, Decimal]:
    """Quantities per order line already credited as returned (draft or posted notes; a
    reversed note gave its quantities back). The order row is locked by the caller."""
    rows = (
        CreditNoteLine.objects.filter(
            credit_note__order=order,
            credit_note__reason=CreditNoteReason.RETURN,
            credit_note__status__in=[DocumentStatus.DRAFT, DocumentStatus.POSTED],
        )
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {r["order_line_id"]: r["total"] for r in rows}


@atomic_with_retry
def credit_note_create(
    *,
    by,
    order: Order | int,
    reason: str,
    lines: list[tuple[Any, Any]] | None = None,
    invoice: Invoice | int | None = None,
    amount: Decimal | None = None,
    comment: str = "",
    check: bool = True,
) -> CreditNote:
    """A credit note draft: goods returned (`reason="return"`, within what shipped:
    `credit_exceeds_shipped`, counting the returns already credited on draft or posted notes),
    an invoiced line cancelled (`line_cancelled`, the corrected
    invoice named), or a correction of an amount (`correction`, `amount` given).
    Raises `billing_not_permitted`, `credit_reason_invalid`, `invoice_not_found`,
    `invoice_other_order`, `lines_required`, `amount_not_positive`.
    """
    order = c.lock_order(order)
    if check:
        c.require_accounting(by, _("credit note"))
    if reason not in (
        CreditNoteReason.RETURN,
        CreditNoteReason.LINE_CANCELLED,
        CreditNoteReason.CORRECTION,
    ):
        raise ValidationFailed(
            _("Unknown credit note reason “%(r)s”.") % {"r": reason},
            code="credit_reason_invalid",
            fields={"reason": str(reason)},
        )
    if invoice is not None:
        invoice_obj = Invoice.objects.filter(pk=getattr(invoice, "pk", invoice)).first()
        if invoice_obj is None or invoice_obj.status != DocumentStatus.POSTED:
            raise ValidationFailed(
                _("No such posted invoice."),
                code="invoice_not_found",
                fields={"invoice": str(invoice)},
            )
        if invoice_obj.order_id != order.pk:
            raise ValidationFailed(
                _("The invoice is of another order."),
                code="invoice_other_order",
                fields={"invoice": invoice_obj.pk},
            )
    else:
        invoice_obj = None
    fields = []
    if lines:
        resolved = c.resolve_lines(order, lines)
        returned = _returned_so_far(order) if reason == CreditNoteReason.RETURN else {}
        for index, (line, qty) in enumerate(resolved):
            if reason == CreditNoteReason.RETURN:
                returned[line.pk] = returned.get(line.pk, ZERO) + qty
                if returned[line.pk] > line.shipped_quantity:
                    raise ValidationFailed(
                        _(
                            "Line %(p)s: more is returned than shipped (shipped %(s)s, returned"
                            " with this note %(r)s)."
                        )
                        % {
                            "p": line.position,
                            "s": format(line.shipped_quantity.normalize(), "f"),
                            "r": format(returned[line.pk].normalize(), "f"),
                        },
                        code="credit_exceeds_shipped",
                        fields={f"lines[{index}].quantity": str(qty)},
                    )
            amounts = line_amounts(
                quantity=qty,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                vat_rate=line.vat_rate,
                currency=order.currency_id,
            )
            fields.append(c.line_fields(line, qty, amounts, len(fields) + 1))
    elif reason != CreditNoteReason.CORRECTION:
        raise ValidationFailed(_("Name the lines credited."), code="lines_required")
    note = _new_doc(
        CreditNote, order, by, order=order, invoice=invoice_obj, reason=reason, comment=comment
    )
    objs = [CreditNoteLine(**f) for f in fields]
    c.set_totals(note, objs)
    if reason == CreditNoteReason.CORRECTION:
        if amount is None and not objs:
            raise ValidationFailed(
                _("Give the amount credited."), code="amount_required", fields={"amount": None}
            )
        note.credit_amount = (
            ledger.check_amount(amount, order.currency_id)
            if amount is not None
            else note.gross_amount
        )
        if not objs:
            note.gross_amount = note.credit_amount
            note.base_gross_amount = c.base_amount(note.gross_amount, note.exchange_rate)
    else:
        note.credit_amount = _credit_amount(note) if invoice_obj else note.gross_amount
    note.save()
    for obj in objs:
        obj.credit_note = note
    CreditNoteLine.objects.bulk_create(objs)
    c.history(order, by, [c.doc_entry("billing.credit_note.created", note, reason=reason)])
    return note


@atomic_with_retry
def cash_receipt_create(
    *,
    by,
    customer: Any,
    amount: Any,
    currency: str | None = None,
    order: Order | int | None = None,
    received_from: str = "",
    basis: str = "",
    comment: str = "",
) -> CashReceipt:
    """A cash receipt (прибутковий касовий ордер) draft; posting it records the payment.
    Raises `billing_not_permitted`, `customer_unknown`, `order_other_customer`,
    `amount_not_positive`, `number_precision`, `currency_unknown`, `received_from_required`."""
    from .payments import resolve_customer, resolve_order

    c.require_accounting(by, _("cash receipt"))
    customer = resolve_customer(customer)
    order_obj = resolve_order(order, customer) if order not in (None, "") else None
    if order_obj is not None:
        order_obj = c.lock_order(order_obj)
    from orderdesk.core.services import base_currency, currency_get

    code = currency_get(currency or (order_obj.currency_id if order_obj else base_currency())).code
    amount = ledger.check_amount(_decimal(amount), code)
    received_from = (received_from or "").strip() or customer.legal_name
    receipt = CashReceipt(
        customer=customer,
        contract=order_obj.contract if order_obj else None,
        order=order_obj,
        currency_id=code,
        net_amount=amount,
        gross_amount=amount,
        received_from=received_from[:255],
        basis=(basis or "").strip()[:255],
        comment=comment,
        created_by=by,
    )
    receipt.base_gross_amount = c.base_amount(amount, receipt.exchange_rate)
    receipt.save()
    if order_obj is not None:
        c.history(order_obj, by, [c.doc_entry("billing.cash_receipt.created", receipt)])
    return receipt


def _decimal(value: Any) -> Decimal:
    from orderdesk.core.money import to_decimal

    try:
        return to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not an amount.") % {"v": value},
            code="amount_invalid",
            fields={"amount": str(value)},
        ) from None


@atomic_with_retry
def document_update(*, by, doc_type: str, pk: Any, **changes: Any) -> Document:
    """Change a draft (comment, date; a cash receipt's amount and payer). A posted document
    is immutable: `document_posted` (409). Raises `billing_not_permitted`, `unknown_field`."""
    doc, order = _lock_for(doc_type, pk)
    c.require_accounting(by, _("edit"))
    c.require_draft(doc)
    unknown = set(changes) - DRAFT_EDITABLE[doc_type]
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="unknown_field",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    delta = {}
    for name, value in changes.items():
        if name == "amount":
            value = ledger.check_amount(_decimal(value), doc.currency_id)
            for f in ("net_amount", "gross_amount"):
                setattr(doc, f, value)
            doc.base_gross_amount = c.base_amount(value, doc.exchange_rate)
            name = "gross_amount"
        before = getattr(doc, name)
        if name != "gross_amount":
            setattr(doc, name, value)
        if before != getattr(doc, name) or name == "gross_amount":
            delta[name] = {"from": before, "to": getattr(doc, name)}
    doc.save()
    if order is not None and delta:
        entry = c.doc_entry(f"billing.{doc_type}.changed", doc)
        entry.changes = delta
        c.history(order, by, [entry])
    return doc


@atomic_with_retry
def document_delete(*, by, doc_type: str, pk: Any) -> None:
    """Delete a draft (a posted one is reversed instead: `document_posted`, 409)."""
    doc, order = _lock_for(doc_type, pk)
    c.require_accounting(by, _("delete"))
    c.require_draft(doc)
    if order is not None:
        c.history(order, by, [c.doc_entry(f"billing.{doc_type}.deleted", doc)])
    doc.delete()
