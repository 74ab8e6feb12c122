"""Writing the ledger: post items, allocate, reverse.

Callers (billing) hold the lock of the order whose documents these are and call these inside
their transaction; every function here also works on its own (each runs atomically). The
rule "an allocation never exceeds what either side has open" is kept by locking both items
FOR UPDATE, always in ascending id order so two writers never wait on each other in a cycle,
and re-reading their open amounts under the lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, ValidationFailed
from orderdesk.core.money import ZERO, quantize
from orderdesk.core.services import base_currency, rate_for

from . import calculations as calc
from .models import Allocation, ItemKind, OpenItem, Side


def check_amount(amount: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """A positive amount with no more digits than the currency has (`amount_not_positive`,
    `number_precision`, `amount_too_large`)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationFailed(
            _("“%(v)s” is not an amount.") % {"v": amount},
            code="amount_invalid",
            fields={field: str(amount)},
        )
    if amount <= 0:
        raise ValidationFailed(
            _("An amount must be greater than zero."),
            code="amount_not_positive",
            fields={field: str(amount)},
        )
    if quantize(amount, currency) != amount:
        raise ValidationFailed(
            _("%(c)s amounts have at most %(p)s decimal places.")
            % {"c": currency, "p": -quantize(Decimal(1), currency).as_tuple().exponent},
            code="number_precision",
            fields={field: str(amount)},
        )
    if amount >= Decimal("1e16"):
        raise ValidationFailed(
            _("The amount %(a)s is too large.") % {"a": amount},
            code="amount_too_large",
            fields={field: str(amount)},
        )
    return amount


@atomic_with_retry
def item_post(
    *,
    customer,
    currency: str,
    side: str,
    kind: str,
    doc_type: str,
    doc_id: int,
    doc_number: str,
    posting_date: dt.date,
    amount: Decimal,
    rate: Decimal,
    contract=None,
    order_id: int | None = None,
    instalment: int | None = None,
    trigger: str = "",
    due_date: dt.date | None = None,
    description: str = "",
    reverses: OpenItem | None = None,
) -> OpenItem:
    """Put an amount owed (debit) or paid/credited (credit) on the customer's ledger, fully
    open, valued in base currency at `rate`. Raises the errors of `check_amount`."""
    check_amount(amount, currency)
    if side not in Side.values or kind not in ItemKind.values:
        raise ValidationFailed(_("Unknown ledger side or kind."), code="item_kind_invalid")
    return OpenItem.objects.create(
        customer=customer,
        contract=contract,
        currency_id=currency,
        side=side,
        kind=kind,
        doc_type=doc_type,
        doc_id=doc_id,
        doc_number=doc_number,
        order_id=order_id,
        instalment=instalment,
        trigger=trigger,
        due_date=due_date,
        description=description[:255],
        posting_date=posting_date,
        amount=amount,
        open_amount=amount,
        rate=rate,
        base_amount=quantize(amount * rate, base_currency()),
        reverses=reverses,
    )


def lock_items(ids: Iterable[int]) -> dict[int, OpenItem]:
    """Lock the items FOR UPDATE in ascending id order and return them fresh, by id."""
    wanted = sorted({int(i) for i in ids})
    items = list(OpenItem.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    return {item.pk: item for item in items}


def _day_rate(currency: str, on: dt.date) -> Decimal:
    return rate_for(currency, on)


def _allocate_locked(
    *, by, debit: OpenItem, credit: OpenItem, amount: Decimal, on: dt.date
) -> Allocation:
    if debit.side != Side.DEBIT or credit.side != Side.CREDIT:
        raise ValidationFailed(
            _("An allocation settles a debit item with a credit item."),
            code="allocation_sides_invalid",
            fields={"debit": debit.pk, "credit": credit.pk},
        )
    if debit.customer_id != credit.customer_id:
        raise ValidationFailed(
            _("A payment or credit of one customer cannot settle another customer's invoice."),
            code="allocation_other_customer",
            fields={"debit": debit.pk, "credit": credit.pk},
        )
    check_amount(amount, debit.currency_id)
    if on < max(debit.posting_date, credit.posting_date):
        raise ValidationFailed(
            _("An allocation cannot be dated before the items it settles were posted."),
            code="allocation_date_before_posting",
            fields={"date": on.isoformat()},
        )
    if amount > debit.open_amount:
        raise ValidationFailed(
            _("%(a)s is more than the %(o)s still open on %(d)s.")
            % {"a": amount, "o": debit.open_amount, "d": debit.doc_number},
            code="allocation_exceeds_open",
            fields={"amount": str(amount), "open_amount": str(debit.open_amount)},
        )
    if debit.currency_id == credit.currency_id:
        credit_amount, conversion = amount, Decimal("1")
    else:
        debit_rate, credit_rate = (
            _day_rate(debit.currency_id, on),
            _day_rate(credit.currency_id, on),
        )
        credit_amount = calc.convert(
            amount, from_rate=debit_rate, to_rate=credit_rate, currency=credit.currency_id
        )
        conversion = (debit_rate / credit_rate).quantize(Decimal("0.000001"))
    if credit_amount > credit.open_amount:
        raise ValidationFailed(
            _("%(a)s is more than the %(o)s left on %(d)s.")
            % {"a": credit_amount, "o": credit.open_amount, "d": credit.doc_number},
            code="allocation_exceeds_credit",
            fields={"amount": str(amount), "credit_open_amount": str(credit.open_amount)},
        )
    allocation = Allocation.objects.create(
        debit=debit,
        credit=credit,
        date=on,
        amount=amount,
        credit_amount=credit_amount,
        conversion_rate=conversion,
        exchange_difference=calc.exchange_difference(
            debit_amount=amount,
            debit_rate=debit.rate,
            credit_amount=credit_amount,
            credit_rate=credit.rate,
            base_currency=base_currency(),
        ),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    # Computed here in Decimal from the locked rows, not as F("open_amount") - x: SQLite
    # would do that subtraction in floating point (0.53 - 0.47 = 0.0600000000000001).
    debit.open_amount -= amount
    credit.open_amount -= credit_amount
    OpenItem.objects.filter(pk=debit.pk).update(open_amount=debit.open_amount)
    OpenItem.objects.filter(pk=credit.pk).update(open_amount=credit.open_amount)
    return allocation


@atomic_with_retry
def allocate(
    *, by, debit: OpenItem | int, credit: OpenItem | int, amount: Decimal, on: dt.date
) -> Allocation:
    """Settle `amount` (in the debit's currency) of `debit` with `credit` on `on`.

    Rules: a debit with a credit of the same customer (`allocation_sides_invalid`,
    `allocation_other_customer`); a positive amount (`amount_not_positive`) no larger than the
    debit's open amount (`allocation_exceeds_open`) nor, converted at the day's rate, the
    credit's (`allocation_exceeds_credit`); not dated before either item
    (`allocation_date_before_posting`); a rate for both currencies (`exchange_rate_missing`).
    """
    debit_id = debit.pk if isinstance(debit, OpenItem) else int(debit)
    credit_id = credit.pk if isinstance(credit, OpenItem) else int(credit)
    items = lock_items([debit_id, credit_id])
    if debit_id not in items or credit_id not in items:
        raise ValidationFailed(_("No such open item."), code="item_not_found")
    return _allocate_locked(
        by=by, debit=items[debit_id], credit=items[credit_id], amount=amount, on=on
    )


@atomic_with_retry
def settle(
    *, by, debits: Sequence[OpenItem | int], credits: Sequence[OpenItem | int], on: dt.date
) -> list[Allocation]:
    """Pair open debits and credits in the given orders (oldest due first, say): each debit
    takes what the credits have open until one side runs out. All items are locked first."""
    debit_ids = [d.pk if isinstance(d, OpenItem) else int(d) for d in debits]
    credit_ids = [c.pk if isinstance(c, OpenItem) else int(c) for c in credits]
    if not debit_ids or not credit_ids:
        return []
    items = lock_items(debit_ids + credit_ids)
    allocations = []
    rates: dict[str, Decimal] = {}

    def rate(code: str) -> Decimal:
        if code not in rates:
            rates[code] = _day_rate(code, on)
        return rates[code]

    for debit_id in debit_ids:
        debit = items.get(debit_id)
        if debit is None or debit.side != Side.DEBIT:
            continue
        for credit_id in credit_ids:
            credit = items.get(credit_id)
            if debit.open_amount <= ZERO:
                break
            if (
                credit is None
                or credit.side != Side.CREDIT
                or credit.open_amount <= ZERO
                or credit.customer_id != debit.customer_id
                or on < max(debit.posting_date, credit.posting_date)
            ):
                continue
            if credit.currency_id == debit.currency_id:
                most = credit.open_amount
            else:
                most = calc.coverable(
                    credit.open_amount,
                    credit_rate=rate(credit.currency_id),
                    debit_rate=rate(debit.currency_id),
                    debit_currency=debit.currency_id,
                )
            take = min(most, debit.open_amount)
            if take > ZERO:
                allocations.append(
                    _allocate_locked(by=by, debit=debit, credit=credit, amount=take, on=on)
                )
    return allocations


@atomic_with_retry
def allocation_reverse(*, by, allocation: Allocation | int, on: dt.date) -> Allocation:
    """Undo an allocation from `on` on: both items are open again by what it had settled.
    Raises `allocation_reversed` (409) when it was undone already, and
    `allocation_date_before_posting` for a date before the allocation's."""
    pk = allocation.pk if isinstance(allocation, Allocation) else int(allocation)
    allocation = Allocation.objects.filter(pk=pk).first()
    if allocation is None:
        raise ValidationFailed(_("No such allocation."), code="allocation_not_found")
    items = lock_items([allocation.debit_id, allocation.credit_id])
    allocation = Allocation.objects.select_for_update().get(pk=pk)
    if allocation.reversed_on is not None:
        raise Conflict(_("This allocation was undone already."), code="allocation_reversed")
    if on < allocation.date:
        raise ValidationFailed(
            _("An allocation cannot be undone before its own date."),
            code="allocation_date_before_posting",
            fields={"date": on.isoformat()},
        )
    allocation.reversed_on = on
    allocation.save(update_fields=["reversed_on"])
    debit, credit = items[allocation.debit_id], items[allocation.credit_id]
    OpenItem.objects.filter(pk=debit.pk).update(open_amount=debit.open_amount + allocation.amount)
    OpenItem.objects.filter(pk=credit.pk).update(
        open_amount=credit.open_amount + allocation.credit_amount
    )
    return allocation


def active_allocations(item: OpenItem):
    field = "debit" if item.side == Side.DEBIT else "credit"
    return Allocation.objects.filter(**{field: item}, reversed_on__isnull=True).order_by("pk")


@atomic_with_retry
def item_reverse(
    *,
    by,
    item: OpenItem | int,
    on: dt.date,
    doc_type: str,
    doc_id: int,
    doc_number: str,
    description: str = "",
    keep_allocations: Sequence[int] = (),
) -> tuple[OpenItem, list[Allocation]]:
    """Storno: undo the item's allocations (those not in `keep_allocations`), post a mirror
    item of the opposite side for its full amount and settle the two with each other.

    Returns the mirror and the undone allocations. Raises `item_reversed` (409) when the item
    was reversed already.
    """
    pk = item.pk if isinstance(item, OpenItem) else int(item)
    item = lock_items([pk]).get(pk)
    if item is None:
        raise ValidationFailed(_("No such open item."), code="item_not_found")
    if OpenItem.objects.filter(reverses=item).exists():
        raise Conflict(_("This item was reversed already."), code="item_reversed")
    undone = []
    for allocation in active_allocations(item):
        if allocation.pk in keep_allocations:
            continue
        undone.append(allocation_reverse(by=by, allocation=allocation, on=on))
    item.refresh_from_db()
    mirror = item_post(
        customer=item.customer,
        contract=item.contract,
        currency=item.currency_id,
        side=Side.CREDIT if item.side == Side.DEBIT else Side.DEBIT,
        kind=ItemKind.REVERSAL,
        doc_type=doc_type,
        doc_id=doc_id,
        doc_number=doc_number,
        order_id=item.order_id,
        instalment=item.instalment,
        posting_date=on,
        due_date=None,
        amount=item.amount,
        rate=item.rate,
        description=description or _("Reversal of %(d)s") % {"d": item.doc_number},
        reverses=item,
    )
    if item.open_amount > ZERO:
        pair = (item, mirror) if item.side == Side.DEBIT else (mirror, item)
        settle(by=by, debits=[pair[0]], credits=[pair[1]], on=on)
    mirror.refresh_from_db()
    return mirror, undone


def require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger writes run inside the caller's transaction")
