"""Quote to cash on 50 % prepayment terms, told as the business story (the issue's "done when").

A customer orders 10 bags at 100.00 + 20 % VAT (1 200.00) on terms "half50": 50 % on order,
50 % 14 days after shipment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orderdesk.audit.selectors import timeline, verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.billing.models import DocumentStatus, InvoiceKind
from orderdesk.billing.services import (
    documents_for_confirmation,
    payment_create,
    shipment_record,
)
from orderdesk.orders.choices import FulfillmentStatus, PaymentStatus
from orderdesk.receivables.models import OpenItem, Side

from .conftest import lines_of


def test_half_prepayment_order_is_invoiced_shipped_invoiced_and_paid(
    half50_order, accountant, storekeeper, manager, company
):
    order = half50_order
    today = dt.date.today()
    assert order.gross_amount == Decimal("1200.00")

    # confirmation: the policy issues and posts the prepayment invoice for 50 %
    prepayment = documents_for_confirmation(by=manager, order=order)
    assert prepayment.kind == InvoiceKind.PREPAYMENT
    assert prepayment.status == DocumentStatus.POSTED
    assert prepayment.number == f"РФ-{today.year}-000001"
    assert prepayment.gross_amount == Decimal("1200.00")
    assert prepayment.payable_amount == Decimal("600.00")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PREPAYMENT_DUE

    # the customer pays the prepayment
    payment_create(
        by=accountant,
        customer=order.customer,
        amount=Decimal("600.00"),
        order=order,
        bank_reference="BANK-1",
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID

    # the goods leave: a delivery note and an invoice for the shipped part (the rest: 50 %)
    docs = shipment_record(
        by=storekeeper, order=order, lines=lines_of(order), shipped_on=today, shipment_ref="SH-1"
    )
    order.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.SHIPPED
    assert docs.delivery_note.status == DocumentStatus.POSTED
    assert docs.delivery_note.number == f"ВН-{today.year}-000001"
    assert docs.delivery_note.gross_amount == Decimal("1200.00")
    invoice = docs.invoice
    assert invoice.kind == InvoiceKind.SHIPMENT
    assert invoice.number == f"РФ-{today.year}-000002"
    assert invoice.gross_amount == Decimal("1200.00")
    assert invoice.prepayment_deducted == Decimal("600.00")
    assert invoice.payable_amount == Decimal("600.00")
    assert invoice.due_date == today + dt.timedelta(days=14)
    assert order.payment_status == PaymentStatus.PARTIALLY_PAID

    # the rest is paid: the order is paid
    payment_create(
        by=accountant, customer=order.customer, amount=Decimal("600.00"), bank_reference="BANK-2"
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    assert not OpenItem.objects.filter(customer=order.customer, open_amount__gt=0).exists()
    debits = OpenItem.objects.filter(order_id=order.pk, side=Side.DEBIT)
    assert sum(d.amount for d in debits) == order.gross_amount

    # the timeline tells the story, and its chain holds
    actions = [e.action for e in timeline(stream_of(order))]
    for action in (
        "billing.invoice.created",
        "billing.invoice.posted",
        "billing.payment.received",
        "billing.allocation.created",
        "orders.line.shipped",
        "billing.delivery_note.posted",
        "orders.order.payment_status_changed",
    ):
        assert action in actions
    assert verify_chain([stream_of(order)])[1] is None
