"""Documents made by the billing policy when something happens to an order.

The fulfillment app (above billing) will call `documents_for_shipment` when goods leave;
until it exists, `shipment_record` records a shipment of order lines through the orders
app's progress service and then makes the documents. `documents_for_confirmation` issues the
prepayment invoice of a confirmed order whose terms need one; `credit_note_for_return` and
`credit_note_for_cancellation` credit what came back or was cancelled after invoicing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import PermissionRefused
from orderdesk.core.money import ZERO
from orderdesk.core.roles import has_role
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus, PaymentStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services.progress import order_lines_ship

from ..models import (
    CreditNote,
    CreditNoteReason,
    DeliveryNote,
    DocumentStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceMode,
)
from ..permissions import SHIPPERS
from . import _common as c
from .documents import (
    credit_note_create,
    delivery_note_create,
    document_post,
    invoice_create,
    invoice_create_prepayment,
)
from .state import needs_prepayment, order_payment_refresh


@dataclass
class ShipmentDocuments:
    delivery_note: DeliveryNote | None = None
    invoice: Invoice | None = None


@atomic_with_retry
def documents_for_shipment(
    *,
    by,
    order: Order | int,
    lines: list[tuple[Any, Any]],
    shipped_on: dt.date,
    shipment_ref: str = "",
) -> ShipmentDocuments:
    """Make the documents the policy asks for when `lines` of `order` have shipped (the
    shipped quantities are recorded already): an invoice per shipment (or, invoicing per
    order, one invoice when the whole order has shipped) and a delivery note; posted at once
    when the policy says so. The caller (fulfillment) has checked the user may ship."""
    order = c.lock_order(order)
    policy = c.policy_for(order)
    wanted = c.resolve_lines(order, lines)
    result = ShipmentDocuments()
    if policy.invoice_mode == InvoiceMode.PER_SHIPMENT:
        done = c.covered(
            InvoiceLine, "invoice", order, kind__in=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER]
        )
        to_invoice = []
        for line, qty in wanted:
            left = line.shipped_quantity - (done[line.pk].quantity if line.pk in done else ZERO)
            if min(qty, left) > ZERO:
                to_invoice.append((line, min(qty, left)))
        if to_invoice:
            result.invoice = invoice_create(
                by=by,
                order=order,
                kind=InvoiceKind.SHIPMENT,
                lines=to_invoice,
                shipped_on=shipped_on,
                shipment_ref=shipment_ref,
                check=False,
            )
    else:
        order.refresh_from_db(fields=["fulfillment_status"])
        from .state import uninvoiced_quantity

        if order.fulfillment_status == FulfillmentStatus.SHIPPED and uninvoiced_quantity(order) > 0:
            result.invoice = invoice_create(
                by=by,
                order=order,
                kind=InvoiceKind.ORDER,
                shipped_on=shipped_on,
                shipment_ref=shipment_ref,
                check=False,
            )
    if result.invoice and policy.post_automatically:
        result.invoice = document_post(by=by, doc_type="invoice", pk=result.invoice.pk, check=False)
    if policy.delivery_note_per_shipment:
        result.delivery_note = delivery_note_create(
            by=by,
            order=order,
            lines=[(line, qty) for line, qty in wanted],
            shipped_on=shipped_on,
            shipment_ref=shipment_ref,
            invoice=result.invoice,
            check=False,
        )
        if policy.post_automatically:
            result.delivery_note = document_post(
                by=by, doc_type="delivery_note", pk=result.delivery_note.pk, check=False
            )
    return result


@atomic_with_retry
def shipment_record(
    *,
    by,
    order: Order | int,
    lines: list[tuple[Any, Any]],
    shipped_on: dt.date | None = None,
    shipment_ref: str = "",
) -> ShipmentDocuments:
    """Record that goods of a confirmed order left (a stand-in for the fulfillment app) and
    make the policy's documents. Rules: the warehouse, an accountant or an administrator
    (`shipment_not_permitted`), and the progress service's `order_not_confirmed`,
    `line_unknown`, `quantity_not_positive`, `shipment_exceeds_ordered`."""
    if not has_role(by, *SHIPPERS):
        raise PermissionRefused(
            _("Only the warehouse records shipments."), code="shipment_not_permitted"
        )
    shipped_on = shipped_on or c.today()
    shipped = order_lines_ship(
        by=by, order=order, lines=lines, shipped_on=shipped_on, shipment_ref=shipment_ref
    )
    return documents_for_shipment(
        by=by,
        order=order,
        lines=[(line, qty) for line, qty in shipped],
        shipped_on=shipped_on,
        shipment_ref=shipment_ref,
    )


@atomic_with_retry
def documents_for_confirmation(*, by, order: Order | int) -> Invoice | None:
    """The prepayment invoice of a confirmed order whose terms need prepayment, when the
    policy asks for one and the order has none yet (posted at once when the policy says
    so); the order's payment state follows. Returns the order's active prepayment invoice
    (made now or before: calling it again is harmless) or None.

    Called by `order_confirm` through the orders hooks, in the confirming transaction."""
    if _nothing_on_confirmation(order):
        # deferred terms and nothing invoiced: nothing to issue, the payment state stays
        # "not due" (for most orders the confirmation reads nothing here: the lock read
        # whether the order has invoices)
        return None
    order = c.lock_order(order)
    invoice = Invoice.objects.filter(
        order=order, kind=InvoiceKind.PREPAYMENT, status__in=c.ACTIVE
    ).first()
    policy = c.policy_for(order)
    if invoice is None and (
        order.status == OrderStatus.CONFIRMED
        and policy.prepayment_invoice_on_confirm
        and needs_prepayment(order)
        and not Invoice.objects.filter(
            order=order, kind=InvoiceKind.PREPAYMENT, status__in=c.ACTIVE
        ).exists()
        and not Invoice.objects.filter(order=order, status__in=c.ACTIVE).exists()
    ):
        invoice = _system_prepayment(by, order)
        if policy.post_automatically:
            invoice = document_post(by=by, doc_type="invoice", pk=invoice.pk, check=False)
    order_payment_refresh(by=by, order=order, reason="confirmed")
    return invoice


def _nothing_on_confirmation(order: Order | int) -> bool:
    """No invoice to issue and no payment state to change: deferred terms, not yet due, and
    no invoice (the lock of a confirmation read whether it has one: hooks.lock_fact)."""
    return (
        isinstance(order, Order)
        and order.payment_status == PaymentStatus.NOT_DUE
        and not needs_prepayment(order)
        and not (
            getattr(order, "has_invoice", True) and Invoice.objects.filter(order=order).exists()
        )
    )


def prepayment_on_confirm(*, by, order: Order | int, **_context) -> Invoice | None:
    """orders.hooks.ORDER_CONFIRMED: `documents_for_confirmation`, its cheap test made first
    and outside its savepoint. Most orders have deferred terms and no invoice: for them the
    confirmation costs no statement here (the instalments come with the locked order, and
    whether it has invoices) instead of a SAVEPOINT, the reads and a RELEASE."""
    if _nothing_on_confirmation(order):
        return None
    return documents_for_confirmation(by=by, order=order)


def _system_prepayment(by, order: Order) -> Invoice:
    """The policy acts for the company: the confirming seller needs no accounting right."""
    from ..permissions import can_create_prepayment

    if can_create_prepayment(by, order):
        return invoice_create_prepayment(by=by, order=order)
    from .documents import _create_invoice, _invoice_lines_for

    fields, _complete = _invoice_lines_for(
        order, None, kinds=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER], limit="ordered"
    )
    return _create_invoice(
        by=by, order=order, kind=InvoiceKind.PREPAYMENT, line_fields=fields, final=False
    )


@atomic_with_retry
def credit_note_for_return(
    *, by, order: Order | int, lines: list[tuple[Any, Any]], comment: str = ""
) -> CreditNote | None:
    """Credit returned goods when the policy says so (posted at once when it says so)."""
    order = c.lock_order(order)
    policy = c.policy_for(order)
    if not policy.credit_note_on_return:
        return None
    note = credit_note_create(
        by=by,
        order=order,
        reason=CreditNoteReason.RETURN,
        lines=lines,
        comment=comment,
        check=False,
    )
    if policy.post_automatically:
        note = document_post(by=by, doc_type="credit_note", pk=note.pk, check=False)
    return note


@atomic_with_retry
def credit_note_for_cancellation(
    *, by, order: Order | int, lines: list[tuple[Any, Decimal]], comment: str = ""
) -> CreditNote | None:
    """Credit the invoiced share of cancelled quantities (a prepayment or order invoice asked
    for goods that will not ship) when the policy says so."""
    order = c.lock_order(order)
    policy = c.policy_for(order)
    if not policy.credit_note_on_line_cancel:
        return None
    invoice = (
        Invoice.objects.filter(
            order=order,
            status=DocumentStatus.POSTED,
            kind__in=[InvoiceKind.PREPAYMENT, InvoiceKind.ORDER],
        )
        .order_by("-posted_at")
        .first()
    )
    if invoice is None:
        return None
    note = credit_note_create(
        by=by,
        order=order,
        reason=CreditNoteReason.LINE_CANCELLED,
        lines=lines,
        invoice=invoice,
        comment=comment,
        check=False,
    )
    if policy.post_automatically:
        note = document_post(by=by, doc_type="credit_note", pk=note.pk, check=False)
    return note
