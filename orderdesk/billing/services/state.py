"""The order's payment state follows the ledger.

`order_payment_state(order)` reads the order's open items; `order_payment_refresh` stores it
through the orders app's progress service (under the order lock, with a history event).
Called after every posting, payment, allocation and reversal, daily by
`orderdesk check_overdue_payments` (an instalment becomes overdue by the calendar alone), and
by `order_payment_on_change` (the orders hook ORDER_CHANGED) when what is left to invoice
moves: a cancelled remainder, an amendment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from orderdesk.core.money import ZERO, quantize
from orderdesk.customers.choices import PREPAYMENT_TRIGGERS
from orderdesk.orders.choices import OrderStatus, PaymentStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services.progress import order_payment_status_set
from orderdesk.receivables.models import Allocation, ItemKind, OpenItem, Side

from ..models import InvoiceKind, InvoiceLine
from . import _common as c


def uninvoiced_quantity(order: Order) -> Decimal:
    """What of the order (less cancelled) no active shipment or order invoice covers yet."""
    done = c.covered(
        InvoiceLine, "invoice", order, kind__in=[InvoiceKind.SHIPMENT, InvoiceKind.ORDER]
    )
    left = ZERO
    for line in order.lines.all():
        cov = done.get(line.pk)
        left += max(ZERO, c.effective_quantity(line) - (cov.quantity if cov else ZERO))
    return left


def paid_amount(order: Order) -> Decimal:
    """Paid on the order's invoices: allocations in force from payments (in the invoices'
    currency)."""
    total = Allocation.objects.filter(
        debit__order_id=order.pk,
        credit__kind=ItemKind.PAYMENT,
        reversed_on__isnull=True,
    ).aggregate(total=Sum("amount"))["total"]
    return quantize(total or ZERO, order.currency_id)


def needs_prepayment(order: Order) -> bool:
    return any(i.trigger in PREPAYMENT_TRIGGERS for i in order.payment_terms.instalments.all())


def order_payment_state(order: Order, *, on: dt.date | None = None) -> str:
    """The payment state the ledger gives the order on `on` (today):

    overdue — an instalment is open past its due date;
    paid — everything is invoiced and nothing is open;
    prepayment due — a prepayment instalment is open, or the confirmed order's terms need
    prepayment and nothing is invoiced or paid yet;
    partially paid — something is paid;
    not due — otherwise.
    """
    on = on or c.today()
    debits = list(
        OpenItem.objects.filter(order_id=order.pk, side=Side.DEBIT, kind=ItemKind.INVOICE)
    )
    open_debits = [d for d in debits if d.open_amount > ZERO]
    if any(d.due_date and d.due_date < on for d in open_debits):
        return PaymentStatus.OVERDUE
    if debits and not open_debits and uninvoiced_quantity(order) == ZERO:
        return PaymentStatus.PAID
    paid = paid_amount(order)
    if any(d.trigger in PREPAYMENT_TRIGGERS for d in open_debits):
        return PaymentStatus.PREPAYMENT_DUE
    if (
        not debits
        and paid == ZERO
        and order.status == OrderStatus.CONFIRMED
        and needs_prepayment(order)
    ):
        return PaymentStatus.PREPAYMENT_DUE
    if paid > ZERO:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.NOT_DUE


def order_payment_refresh(*, by, order: Order | int, reason: str = "") -> Order:
    """Store the ledger's payment state on the order (locks it; records a change)."""
    order = c.lock_order(order)
    state = order_payment_state(order)
    return order_payment_status_set(
        by=by, order=order, status=state, data={"reason": reason} if reason else None
    )


# ORDER_CHANGED changes after which what is left to invoice may have moved; never
# CHANGE_PAYMENT, which order_payment_refresh itself emits
REFRESH_ON = ("fulfillment_status", "amended")


def order_payment_on_change(*, by, order: Order, change: str, **_kw) -> None:
    """orders hook ORDER_CHANGED: a line cancellation or an amendment may leave nothing to
    invoice (everything invoiced paid -> paid), so the stored payment state is refreshed."""
    if change not in REFRESH_ON:
        return
    if order.status == OrderStatus.DRAFT:
        return
    if order_payment_state(order) == order.payment_status:
        return
    stored = order_payment_refresh(by=by, order=order, reason=change)
    # the caller goes on with its own instance of the order: keep it true
    order.payment_status = stored.payment_status


@dataclass
class ScheduleRow:
    """One instalment of the order's payment terms and where it stands."""

    position: int
    label: str
    trigger: str
    share_percent: Decimal
    amount: Decimal
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    open: Decimal = ZERO
    due_dates: list[dt.date] = field(default_factory=list)
    overdue: bool = False

    @property
    def not_invoiced(self) -> Decimal:
        return max(ZERO, self.amount - self.invoiced)


def order_schedule(order: Order, *, on: dt.date | None = None) -> list[ScheduleRow]:
    """What is due when: each instalment of the terms with its share of the order total,
    what of it is invoiced, paid (or credited) and open, and the due dates of its items."""
    from ..calculations import split_by_shares

    on = on or c.today()
    instalments = list(order.payment_terms.instalments.all())
    amounts = split_by_shares(
        order.gross_amount, [i.share_percent for i in instalments], order.currency_id
    )
    rows = {
        i.position: ScheduleRow(
            position=i.position,
            label=str(i),
            trigger=i.trigger,
            share_percent=i.share_percent,
            amount=amount,
        )
        for i, amount in zip(instalments, amounts, strict=True)
    }
    items = OpenItem.objects.filter(
        order_id=order.pk, side=Side.DEBIT, kind=ItemKind.INVOICE
    ).order_by("due_date")
    reversed_ids = set(
        OpenItem.objects.filter(order_id=order.pk, reverses__isnull=False).values_list(
            "reverses_id", flat=True
        )
    )
    for item in items:
        if item.pk in reversed_ids:
            continue
        row = rows.get(item.instalment)
        if row is None:
            continue
        row.invoiced += item.amount
        row.open += item.open_amount
        row.paid += item.amount - item.open_amount
        if item.due_date and item.due_date not in row.due_dates:
            row.due_dates.append(item.due_date)
        if item.open_amount > ZERO and item.due_date and item.due_date < on:
            row.overdue = True
    return sorted(rows.values(), key=lambda r: r.position)
