"""Writing the ledger: post items, allocate, reverse — and keep each customer's balance.

Callers (billing) hold the lock of the order whose documents these are and call these inside
their transaction; every function here also works on its own (each runs atomically). The
rule "an allocation never exceeds what either side has open" is kept by locking both items
FOR UPDATE and re-reading their open amounts under the lock.

Every write also moves the customer's `CustomerBalance` (open debits and open credits in
base currency) in the same transaction, computed in Python from the locked rows (SQLite would
do `F("open_debit") + x` in floating point).

Lock order, the same in every function here:

1. the customers' `CustomerBalance` rows, ascending customer id (`lock_balances`);
2. then the items, ascending id (`lock_items`);
3. then an allocation row.

The balance row comes first because callers post an item and then settle it against other,
existing items in one transaction (billing: post a payment, settle the open invoices): a
writer that locked an item first and then waited for the balance would deadlock with that
one. Taken first, the balance row is a per-customer ledger mutex — two writes of one
customer's ledger run one after the other — so the item-id order only has to hold within one
writer. A transaction that writes several customers' ledgers one after another (a payout
file) locks each balance when it reaches that customer; should two such transactions meet
in opposite orders, PostgreSQL reports the deadlock and `atomic_with_retry` runs the loser
again. Credit control only *reads* the balance row (never locks it), so the credit account
lock and this one never wait on each other.
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
from .models import Allocation, CustomerBalance, ItemKind, OpenItem, Side


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


def lock_balances(customer_ids: Iterable[int]) -> dict[int, CustomerBalance]:
    """Lock the customers' balance rows FOR UPDATE in ascending customer id order (created
    at zero if missing) and return them fresh, by customer id. The first lock of every
    ledger write (see the module docstring)."""
    wanted = sorted({int(i) for i in customer_ids})

    def locked() -> dict[int, CustomerBalance]:
        rows = CustomerBalance.objects.select_for_update().filter(customer_id__in=wanted)
        return {row.customer_id: row for row in rows.order_by("customer_id")}

    found = locked()
    if len(found) < len(wanted):
        # a customer's first item: create the row (a concurrent creator waits on the unique
        # key and then finds it), then lock them all again in order
        CustomerBalance.objects.bulk_create(
            [CustomerBalance(customer_id=i) for i in wanted if i not in found],
            ignore_conflicts=True,
        )
        found = locked()
    return found


def _shift(balance: CustomerBalance, *, debit: Decimal = ZERO, credit: Decimal = ZERO) -> None:
    """Move the locked balance row by exact Decimal amounts (written at once, so a nested
    service that locks the row again reads what this one wrote)."""
    if not debit and not credit:
        return
    balance.open_debit += debit
    balance.open_credit += credit
    balance.save(update_fields=["open_debit", "open_credit", "updated_at"])


def _shift_items(balance: CustomerBalance, *changes: tuple[OpenItem, Decimal]) -> None:
    """Each (item, open amount before) went to `item.open_amount`: move the item's side by
    the change of its open value, all in one write."""
    moved = {Side.DEBIT: ZERO, Side.CREDIT: ZERO}
    for item, before in changes:
        moved[item.side] += calc.balance_delta(
            before, item.open_amount, rate=item.rate, base_currency=base_currency()
        )
    _shift(balance, debit=moved[Side.DEBIT], credit=moved[Side.CREDIT])


def _customers_of(item_ids: Iterable[int]) -> dict[int, int]:
    """Item id -> customer id, read without a lock (an item's customer never changes)."""
    return dict(OpenItem.objects.filter(pk__in=set(item_ids)).values_list("pk", "customer_id"))


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
    customer_id = getattr(customer, "pk", customer)
    balance = lock_balances([customer_id])[customer_id]
    item = OpenItem.objects.create(
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
    # fully open: its open value is its base amount
    _shift_items(balance, (item, ZERO))
    return item


def lock_items(ids: Iterable[int]) -> dict[int, OpenItem]:
    """Lock the items FOR UPDATE in ascending id order and return them fresh, by id."""
    wanted = sorted({int(i) for i in ids})
    items = list(OpenItem.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    return {item.pk: item for item in items}


def _day_rate(currency: str, on: dt.date) -> Decimal:
    return rate_for(currency, on)


def _allocate_locked(
    *,
    by,
    debit: OpenItem,
    credit: OpenItem,
    amount: Decimal,
    on: dt.date,
    balances: dict[int, CustomerBalance],
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
    debit_before, credit_before = debit.open_amount, credit.open_amount
    debit.open_amount -= amount
    credit.open_amount -= credit_amount
    OpenItem.objects.filter(pk=debit.pk).update(open_amount=debit.open_amount)
    OpenItem.objects.filter(pk=credit.pk).update(open_amount=credit.open_amount)
    # each side at its own posting rate: across currencies the balance's net moves by the
    # allocation's exchange difference (each item rounded on its own)
    balance = balances[debit.customer_id]
    _shift_items(balance, (debit, debit_before), (credit, credit_before))
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
    customers = _customers_of([debit_id, credit_id])
    if debit_id not in customers or credit_id not in customers:
        raise ValidationFailed(_("No such open item."), code="item_not_found")
    balances = lock_balances(customers.values())
    items = lock_items([debit_id, credit_id])
    return _allocate_locked(
        by=by,
        debit=items[debit_id],
        credit=items[credit_id],
        amount=amount,
        on=on,
        balances=balances,
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
    balances = lock_balances(_customers_of(debit_ids + credit_ids).values())
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
                    _allocate_locked(
                        by=by, debit=debit, credit=credit, amount=take, on=on, balances=balances
                    )
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
    balances = lock_balances(_customers_of([allocation.debit_id, allocation.credit_id]).values())
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
    debit_before, credit_before = debit.open_amount, credit.open_amount
    debit.open_amount += allocation.amount
    credit.open_amount += allocation.credit_amount
    OpenItem.objects.filter(pk=debit.pk).update(open_amount=debit.open_amount)
    OpenItem.objects.filter(pk=credit.pk).update(open_amount=credit.open_amount)
    balance = balances[debit.customer_id]
    _shift_items(balance, (debit, debit_before), (credit, credit_before))
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
    customers = _customers_of([pk])
    if pk not in customers:
        raise ValidationFailed(_("No such open item."), code="item_not_found")
    # the customer's ledger first: the nested services below lock it again (held already)
    lock_balances(customers.values())
    item = lock_items([pk])[pk]
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


def open_totals(customer_ids: Iterable[int] | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """Customer id -> (open debits, open credits) in base currency, summed from the items in
    Python (exact on SQLite too): what each `CustomerBalance` row must hold."""
    base = base_currency()
    qs = OpenItem.objects.filter(open_amount__gt=0)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    totals: dict[int, list[Decimal]] = {}
    rows = qs.values_list("customer_id", "side", "open_amount", "rate").order_by()
    for customer_id, side, open_amount, rate in rows.iterator(chunk_size=5000):
        entry = totals.setdefault(customer_id, [ZERO, ZERO])
        entry[0 if side == Side.DEBIT else 1] += calc.open_base(open_amount, rate, base)
    return {k: (v[0], v[1]) for k, v in totals.items()}


@atomic_with_retry
def balances_rebuild(*, customer_ids: Iterable[int] | None = None) -> int:
    """Set the stored balances to what the items add up to (every customer with a balance
    row or an item when `customer_ids` is None). For items written behind the services' back
    — a bulk load, the benchmarks — and for repairing what `orderdesk reconcile` reports.
    Locks the balance rows first, like every ledger write. Returns how many rows changed."""
    if customer_ids is None:
        customer_ids = set(CustomerBalance.objects.values_list("customer_id", flat=True)) | set(
            OpenItem.objects.values_list("customer_id", flat=True).distinct()
        )
    balances = lock_balances(customer_ids)
    totals = open_totals(balances)
    changed = 0
    for customer_id, balance in balances.items():
        debit, credit = totals.get(customer_id, (ZERO, ZERO))
        if (balance.open_debit, balance.open_credit) != (debit, credit):
            _shift(balance, debit=debit - balance.open_debit, credit=credit - balance.open_credit)
            changed += 1
    return changed


def require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger writes run inside the caller's transaction")
