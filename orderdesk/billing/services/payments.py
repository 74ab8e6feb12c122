"""Payments and allocations.

A payment is a fact: it is recorded posted, as one credit item on the customer's ledger, and
settles invoice instalments — oldest due first by default (the order's own first when the
payment names an order), or exactly as the accountant chose. What is left stays as the
customer's credit and settles later invoices when they are posted. A payment in another
currency settles an invoice at the day's rate; the exchange difference is kept in base
currency on the allocation.

Locks: the orders whose items are touched, in ascending id order, then the items (the
ledger locks those in ascending id order too).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, NotFound, ValidationFailed
from orderdesk.core.money import to_decimal
from orderdesk.core.services import base_currency, currency_get, rate_for
from orderdesk.customers.models import Customer
from orderdesk.orders.models import Order
from orderdesk.receivables import services as ledger
from orderdesk.receivables.models import Allocation, ItemKind, OpenItem, Side

from ..models import DocumentStatus, Payment, PaymentMethodKind
from . import _common as c
from .state import order_payment_refresh


def resolve_customer(value: Any) -> Customer:
    if isinstance(value, Customer):
        return value
    try:
        return Customer.objects.get(pk=int(value))
    except (Customer.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(
            _("Unknown customer “%(v)s”.") % {"v": value},
            code="customer_unknown",
            fields={"customer": str(value)},
        ) from None


def resolve_order(value: Any, customer: Customer) -> Order:
    order = value if isinstance(value, Order) else None
    if order is None:
        try:
            order = Order.objects.get(pk=int(value))
        except (Order.DoesNotExist, TypeError, ValueError):
            raise ValidationFailed(
                _("Unknown order “%(v)s”.") % {"v": value},
                code="order_unknown",
                fields={"order": str(value)},
            ) from None
    if order.customer_id != customer.pk:
        raise ValidationFailed(
            _("Order %(n)s is another customer's.") % {"n": order.number},
            code="order_other_customer",
            fields={"order": order.pk},
        )
    return order


def parse_amount(value: Any, field: str = "amount") -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not an amount.") % {"v": value},
            code="amount_invalid",
            fields={field: str(value)},
        ) from None


def _candidates(customer: Customer, order: Order | None) -> list[OpenItem]:
    """Open instalments a payment settles by default: the named order's first, then the
    customer's others (only when the payment names no order); oldest due first."""
    qs = OpenItem.objects.filter(
        customer=customer, side=Side.DEBIT, kind=ItemKind.INVOICE, open_amount__gt=0
    )
    if order is not None:
        qs = qs.filter(order_id=order.pk)
    return sorted(qs, key=lambda i: (i.due_date or i.posting_date, i.posting_date, i.pk))


def _allocation_data(allocation: Allocation) -> dict[str, Any]:
    return {
        "invoice": allocation.debit.doc_number,
        "by_document": allocation.credit.doc_number,
        "amount": allocation.amount,
        "currency": allocation.debit.currency_id,
        "credit_amount": allocation.credit_amount,
        "credit_currency": allocation.credit.currency_id,
        "exchange_difference": allocation.exchange_difference,
        "date": allocation.date,
    }


def payment_data(payment: Payment) -> dict[str, Any]:
    return {
        "number": payment.number,
        "amount": payment.amount,
        "currency": payment.currency_id,
        "date": payment.payment_date,
        "method": payment.method,
        "bank_reference": payment.bank_reference,
    }


def _record(by, payment: Payment, events: list[tuple[int | None, Entry]]) -> None:
    """Write events into the streams they belong to: an order's, or the payment's own."""
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for order_id, entry in events:
        stream = stream_of(Order(pk=order_id)) if order_id else stream_of(payment)
        grouped[stream].append(entry)
    for stream, entries in grouped.items():
        record_many(stream=stream, entries=entries, by=by)


def _refresh(by, order_ids, reason: str) -> None:
    for order_id in sorted({i for i in order_ids if i}):
        order_payment_refresh(by=by, order=order_id, reason=reason)


def _payment_post(
    *,
    by,
    customer: Customer,
    amount: Decimal,
    currency: str,
    payment_date: dt.date,
    order: Order | None = None,
    method: str = PaymentMethodKind.BANK,
    payer_name: str = "",
    payer_tax_id: str = "",
    purpose: str = "",
    bank_reference: str = "",
    allocations: Any = "auto",
    import_batch: str = "",
) -> tuple[Payment, list[Allocation]]:
    code = currency_get(currency).code
    amount = ledger.check_amount(amount, code)
    bank_reference = (bank_reference or "").strip()[:64]
    if bank_reference and Payment.objects.filter(bank_reference=bank_reference).exists():
        raise ValidationFailed(
            _("A payment with bank reference %(r)s is recorded already.") % {"r": bank_reference},
            code="payment_duplicate",
            fields={"bank_reference": bank_reference},
        )
    rate = rate_for(code, payment_date)
    chosen: list[tuple[OpenItem, Decimal]] = []
    if allocations == "auto":
        debits = _candidates(customer, order)
    else:
        debits = []
        for i, (item_id, value) in enumerate(allocations or []):
            item = OpenItem.objects.filter(pk=getattr(item_id, "pk", item_id)).first()
            if item is None:
                raise ValidationFailed(
                    _("No such open item."),
                    code="item_not_found",
                    fields={f"allocations[{i}].item": str(item_id)},
                )
            chosen.append((item, parse_amount(value, f"allocations[{i}].amount")))
    orders = c.lock_orders(
        [order.pk if order else None]
        + [d.order_id for d in debits]
        + [item.order_id for item, _a in chosen]
    )
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                customer=customer,
                order=order,
                method=method,
                payment_date=payment_date,
                currency_id=code,
                amount=amount,
                exchange_rate=rate,
                payer_name=(payer_name or "")[:255],
                payer_tax_id=(payer_tax_id or "")[:10],
                purpose=(purpose or "")[:500],
                bank_reference=bank_reference,
                import_batch=import_batch,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise ValidationFailed(
            _("A payment with bank reference %(r)s is recorded already.") % {"r": bank_reference},
            code="payment_duplicate",
            fields={"bank_reference": bank_reference},
        ) from None
    item = ledger.item_post(
        customer=customer,
        contract=order.contract if order else None,
        currency=code,
        side=Side.CREDIT,
        kind=ItemKind.PAYMENT,
        doc_type=Payment.doc_type,
        doc_id=payment.pk,
        doc_number=payment.number,
        order_id=order.pk if order else None,
        posting_date=payment_date,
        amount=amount,
        rate=rate,
        description=(purpose or payer_name or "")[:255],
    )
    payment.credit_item = item
    payment.save(update_fields=["credit_item"])
    if allocations == "auto":
        made = ledger.settle(by=by, debits=debits, credits=[item], on=payment_date)
    else:
        made = [
            ledger.allocate(by=by, debit=debit, credit=item, amount=value, on=payment_date)
            for debit, value in chosen
        ]
    events = [
        (
            order.pk if order else None,
            Entry("billing.payment.received", payment, {}, payment_data(payment)),
        )
    ]
    events += [
        (a.debit.order_id, Entry("billing.allocation.created", a, {}, _allocation_data(a)))
        for a in made
    ]
    _record(by, payment, events)
    _refresh(by, list(orders), payment.number)
    c.after_commit("payment recorded", pk=payment.pk)
    return payment, made


@atomic_with_retry
def payment_create(
    *,
    by,
    customer: Any,
    amount: Any,
    currency: str | None = None,
    payment_date: dt.date | None = None,
    order: Any = None,
    payer_name: str = "",
    payer_tax_id: str = "",
    purpose: str = "",
    bank_reference: str = "",
    allocations: Any = "auto",
) -> Payment:
    """Record a bank payment and settle invoices with it.

    `allocations`: "auto" (oldest due first; the named order's instalments only), a list of
    (open item id, amount) chosen by the user, or [] to keep it all as credit. What is left
    stays as the customer's credit. Rules: an accountant or administrator
    (`billing_not_permitted`); a known customer (`customer_unknown`) and, if named, one of
    its orders (`order_unknown`, `order_other_customer`); a positive amount with the
    currency's digits (`amount_not_positive`, `number_precision`, `amount_invalid`); a rate
    for the day (`exchange_rate_missing`); a new bank reference (`payment_duplicate`); each
    chosen allocation within what is open on both sides and the same customer's
    (`allocation_exceeds_open`, `allocation_exceeds_credit`, `allocation_other_customer`).
    """
    c.require_accounting(by, _("payment"))
    customer = resolve_customer(customer)
    order_obj = resolve_order(order, customer) if order not in (None, "") else None
    payment, _made = _payment_post(
        by=by,
        customer=customer,
        amount=parse_amount(amount),
        currency=currency or (order_obj.currency_id if order_obj else base_currency()),
        payment_date=payment_date or c.today(),
        order=order_obj,
        payer_name=payer_name or customer.legal_name,
        payer_tax_id=payer_tax_id or customer.tax_id,
        purpose=purpose,
        bank_reference=bank_reference,
        allocations=allocations,
    )
    return payment


def _payment_reverse(*, by, payment: Payment, reason: str, on: dt.date) -> Payment:
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    c.require_reversible(payment)
    item = payment.credit_item
    debit_orders = list(
        Allocation.objects.filter(credit=item, reversed_on__isnull=True).values_list(
            "debit__order_id", flat=True
        )
    )
    c.lock_orders([payment.order_id, *debit_orders])
    _mirror, undone = ledger.item_reverse(
        by=by,
        item=item,
        on=on,
        doc_type=Payment.doc_type,
        doc_id=payment.pk,
        doc_number=payment.number,
    )
    payment.status = DocumentStatus.REVERSED
    payment.reversed_by = by
    payment.reversed_at = timezone.now()
    payment.reversal_reason = reason
    payment.save()
    events = [
        (
            payment.order_id,
            Entry(
                "billing.payment.reversed",
                payment,
                {"status": {"from": DocumentStatus.POSTED, "to": DocumentStatus.REVERSED}},
                {**payment_data(payment), "reason": reason},
            ),
        )
    ]
    events += [
        (a.debit.order_id, Entry("billing.allocation.reversed", a, {}, _allocation_data(a)))
        for a in undone
    ]
    _record(by, payment, events)
    _refresh(by, [payment.order_id, *debit_orders], payment.number)
    return payment


@atomic_with_retry
def payment_reverse(
    *, by, payment: Payment | int, reason: str, on: dt.date | None = None
) -> Payment:
    """Reverse a payment recorded in error: its allocations are undone (the invoices are
    open again) and a mirror item cancels its credit. A cash payment is reversed through its
    cash receipt (`payment_has_cash_receipt`). Raises `billing_not_permitted`,
    `reversal_reason_required`, `document_reversed` (409)."""
    c.require_accounting(by, _("reverse"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the payment is reversed."),
            code="reversal_reason_required",
            fields={"reason": None},
        )
    payment = payment_or_404(payment)
    if hasattr(payment, "cash_receipt"):
        raise Conflict(
            _("Reverse the cash receipt %(n)s instead.") % {"n": payment.cash_receipt},
            code="payment_has_cash_receipt",
        )
    return _payment_reverse(by=by, payment=payment, reason=reason, on=on or c.today())


def payment_or_404(payment: Payment | int) -> Payment:
    try:
        return payment if isinstance(payment, Payment) else Payment.objects.get(pk=int(payment))
    except (Payment.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such payment."), code="payment_not_found") from None


def _item(value: Any, field: str) -> OpenItem:
    item = value if isinstance(value, OpenItem) else None
    if item is None:
        try:
            item = OpenItem.objects.get(pk=int(value))
        except (OpenItem.DoesNotExist, TypeError, ValueError):
            raise ValidationFailed(
                _("No such open item."), code="item_not_found", fields={field: str(value)}
            ) from None
    return item


@atomic_with_retry
def allocation_create(
    *, by, debit: Any, credit: Any, amount: Any, on: dt.date | None = None
) -> Allocation:
    """Settle an instalment with a payment's or a credit note's open credit, as the
    accountant chooses. Raises `billing_not_permitted`, `item_not_found`, and the ledger's
    `allocation_sides_invalid`, `allocation_other_customer`, `allocation_exceeds_open`,
    `allocation_exceeds_credit`, `allocation_date_before_posting`, `amount_not_positive`."""
    c.require_accounting(by, _("allocation"))
    debit, credit = _item(debit, "debit"), _item(credit, "credit")
    value = parse_amount(amount)
    c.lock_orders([debit.order_id, credit.order_id])
    allocation = ledger.allocate(
        by=by, debit=debit, credit=credit, amount=value, on=on or c.today()
    )
    allocation = Allocation.objects.select_related("debit", "credit").get(pk=allocation.pk)
    payment = Payment.objects.filter(credit_item=credit).first()
    events = [
        (
            debit.order_id,
            Entry("billing.allocation.created", allocation, {}, _allocation_data(allocation)),
        )
    ]
    if payment is not None:
        _record(by, payment, events)
    else:
        _record_orders(by, events)
    _refresh(by, [debit.order_id, credit.order_id], debit.doc_number)
    return allocation


def _record_orders(by, events: list[tuple[int | None, Entry]]) -> None:
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for order_id, entry in events:
        if order_id:
            grouped[order_id].append(entry)
    for order_id, entries in grouped.items():
        record_many(stream=stream_of(Order(pk=order_id)), entries=entries, by=by)


@atomic_with_retry
def allocation_cancel(*, by, allocation: Any, on: dt.date | None = None) -> Allocation:
    """Undo an allocation made in error: both items are open again. Raises
    `billing_not_permitted`, `allocation_not_found`, `allocation_reversed` (409)."""
    c.require_accounting(by, _("allocation"))
    try:
        allocation = Allocation.objects.select_related("debit", "credit").get(
            pk=getattr(allocation, "pk", allocation)
        )
    except (Allocation.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such allocation."), code="allocation_not_found") from None
    c.lock_orders([allocation.debit.order_id, allocation.credit.order_id])
    ledger.allocation_reverse(by=by, allocation=allocation, on=on or c.today())
    allocation.refresh_from_db()
    _record_orders(
        by,
        [
            (
                allocation.debit.order_id,
                Entry("billing.allocation.reversed", allocation, {}, _allocation_data(allocation)),
            )
        ],
    )
    _refresh(by, [allocation.debit.order_id, allocation.credit.order_id], "")
    return allocation
