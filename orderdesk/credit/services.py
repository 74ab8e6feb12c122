"""Credit control: limits, exposure, checks, commitments, holds and their release, blocks.

Exposure = open receivables (open debit items minus unallocated credit, base currency, read
from the customer's `receivables.CustomerBalance` row, which the ledger keeps in the same
transaction as every item change) + committed (confirmed orders not yet invoiced: the
`Commitment` rows, summed on `CreditAccount.committed_amount`) + this order. Neither grows
with the number of open items: the check takes the same time at 10 and at 10 000.

Serialization point: `SELECT ... FOR UPDATE` on the customer's `CreditAccount` row (for a
customer in a group: every member's row, in id order) — every check that may let exposure
grow (`check(lock=True)`), every commitment change, every release. The order row is always
locked first (callers: orders services; billing), then the account.

One pass at confirmation (issue 10): the check locks the accounts, then reads the limits,
then the order's commitment, override and ledger balance in one statement (each after the
lock, so it sees what committed while the check waited); `commit(checked=...)` writes the
commitment from those rows without reading again and without a savepoint of its own; the
release gate in the same transaction is answered from the same figures (`memo`).

Overdue: the oldest open debit past due and the overdue amount, read over the overdue items
only (the partial index `receivables_item_open_debit` on (customer, due_date) of open debits),
so current items cost nothing. Evaluated live at every check (a payment that clears the debt clears the breach at
once, and lifts a stored overdue block at the next check or daily run); `check_overdue` (the
daily job) stores blocks so that the release queue and the customer card show them.

Error codes: credit_not_permitted, credit_limit_negative, credit_limit_subject_required,
exchange_rate_missing, credit_block_reason_required, credit_override_forbidden,
credit_override_reason_required, order_not_held, amount_invalid.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DecimalField, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import record
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, PermissionRefused, ValidationFailed
from orderdesk.core.money import quantize
from orderdesk.core.prepared import Prepared, as_first
from orderdesk.core.roles import Role, has_role
from orderdesk.core.services import rate_for
from orderdesk.customers.models import Customer
from orderdesk.receivables.calculations import open_base
from orderdesk.receivables.models import CustomerBalance, OpenItem

from . import hooks, memo
from .models import AMOUNT, Commitment, CreditAccount, CreditHold, CreditLimit, HoldStatus, Mode

ZERO = Decimal("0")
AMOUNT_FIELD = DecimalField(**AMOUNT)
CONTROLLERS = (Role.CREDIT_CONTROLLER, Role.ADMINISTRATOR)
# at which checks a mode holds the order
BLOCKS_AT = {
    Mode.WARN: set(),
    Mode.BLOCK_CONFIRMATION: {"submit", "confirm", "amend", "release"},
    Mode.BLOCK_SHIPMENT: {"release"},
}


def base() -> str:
    return settings.ORDERDESK["BASE_CURRENCY"]


def money(amount: Decimal) -> str:
    """1250000 -> "1 250 000" (whole units; cents shown only when there are some)."""
    amount = quantize(Decimal(amount), base())
    whole = amount == amount.to_integral()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", "\u00a0")


# --- limits -----------------------------------------------------------------------------------


def _require(by, code: str = "credit_not_permitted") -> None:
    if not has_role(by, *CONTROLLERS):
        raise PermissionRefused(
            _("Only a credit controller or an administrator may do this."), code=code
        )


@atomic_with_retry
def limit_set(
    *,
    by,
    amount: Any,
    currency: str | None = None,
    customer: Customer | int | None = None,
    contract: Any = None,
    group: Any = None,
    mode: str = Mode.WARN,
    overdue_days: int = 0,
    overdue_amount: Any = 0,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> CreditLimit:
    """Set a credit limit for a customer, a contract or a customer group (converted to the
    base currency at the rate of `valid_from`), with the mode and the overdue tolerance.

    Raises `credit_not_permitted`, `credit_limit_negative`, `amount_invalid`,
    `credit_limit_subject_required`, `exchange_rate_missing`, `credit_mode_unknown`.
    """
    _require(by)
    try:
        entered = Decimal(str(amount))
        tolerated = Decimal(str(overdue_amount or 0))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("Not an amount."), code="amount_invalid", fields={"amount": str(amount)}
        ) from None
    if entered < 0 or tolerated < 0:
        raise ValidationFailed(
            _("A limit cannot be negative."),
            code="credit_limit_negative",
            fields={"amount" if entered < 0 else "overdue_amount": str(amount)},
        )
    if mode not in Mode.values:
        raise ValidationFailed(
            _("Unknown mode “%(m)s”.") % {"m": mode},
            code="credit_mode_unknown",
            fields={"mode": mode},
        )
    if customer is None and contract is None and group is None:
        raise ValidationFailed(
            _("Say whose limit it is: a customer, a contract or a group."),
            code="credit_limit_subject_required",
        )
    valid_from = valid_from or timezone.localdate()
    currency = (currency or base()).upper()
    rate = rate_for(currency, valid_from)  # exchange_rate_missing
    customer_id = getattr(customer, "pk", customer)
    contract_id = getattr(contract, "pk", contract)
    if contract_id and not customer_id:
        from orderdesk.pricing.models import Contract

        customer_id = Contract.objects.values_list("customer_id", flat=True).get(pk=contract_id)
    limit = CreditLimit.objects.create(
        customer_id=customer_id if not group else None,
        contract_id=contract_id,
        group_id=getattr(group, "pk", group),
        amount=quantize(entered * rate, base()),
        entered_amount=entered,
        entered_currency=currency,
        mode=mode,
        overdue_days=int(overdue_days or 0),
        overdue_amount=quantize(tolerated, base()),
        valid_from=valid_from,
        valid_to=valid_to,
        set_by=by,
    )
    if customer_id:
        account = lock_accounts([customer_id])[customer_id]
        record(
            action="credit.limit.set",
            obj=account,
            by=by,
            data={
                "amount": limit.amount,
                "entered": f"{entered} {currency}",
                "mode": mode,
                "contract": contract_id,
                "overdue_days": limit.overdue_days,
                "overdue_amount": limit.overdue_amount,
            },
        )
    return limit


@dataclass
class Limits:
    customer: CreditLimit | None = None
    contract: CreditLimit | None = None
    group: CreditLimit | None = None

    @property
    def mode(self) -> str:
        for limit in (self.contract, self.customer, self.group):
            if limit is not None:
                return limit.mode
        return Mode.WARN

    @property
    def terms(self) -> CreditLimit | None:
        return self.contract or self.customer or self.group


def _limits(on: dt.date, customer_id: int, contract_id: int | None, group_id: int | None):
    valid = Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    subject = Q(customer_id=customer_id, contract__isnull=True, group__isnull=True)
    if contract_id:
        subject |= Q(contract_id=contract_id)
    if group_id:
        subject |= Q(group_id=group_id)
    return CreditLimit.objects.filter(valid & subject).order_by("-valid_from", "-id")


# compiled once per connection (core.prepared), one statement per shape (contract? group?)
_LIMITS = {
    (True, True): Prepared(lambda on, c, k, g: _limits(on, c, k, g), arity=4),
    (True, False): Prepared(lambda on, c, k: _limits(on, c, k, None), arity=3),
    (False, True): Prepared(lambda on, c, g: _limits(on, c, None, g), arity=3),
    (False, False): Prepared(lambda on, c: _limits(on, c, None, None), arity=2),
}


def limits_for(
    customer: Customer, *, contract_id: int | None = None, on: dt.date | None = None
) -> Limits:
    on = on or timezone.localdate()
    shape = (bool(contract_id), bool(customer.group_id))
    keys = [k for k in (contract_id, customer.group_id) if k]
    found = Limits()
    for limit in _LIMITS[shape].rows(on, customer.pk, *keys):
        slot = "contract" if limit.contract_id else ("group" if limit.group_id else "customer")
        if getattr(found, slot) is None:
            setattr(found, slot, limit)
    return found


# --- the accounts: lock, commitments ---------------------------------------------------------


def members(customer: Customer, limits: Limits | None = None) -> list[int]:
    """The customers whose exposure counts together: the group's when a group limit applies."""
    if limits is not None and limits.group is not None:
        return list(
            Customer.objects.filter(group_id=customer.group_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return [customer.pk]


def lock_set(customer: Customer) -> list[int]:
    """The accounts a check of `customer` locks: its own, or every member's of its group.

    The limits are read *after* the lock (a limit set meanwhile is seen), so which accounts
    to lock cannot wait for them: a customer in a group locks the whole group, whether or not
    a group limit applies today."""
    if customer.group_id:
        return list(
            Customer.objects.filter(group_id=customer.group_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return [customer.pk]


# compiled once per connection (core.prepared)
_LOCK_ACCOUNTS = Prepared(
    lambda ids: (
        CreditAccount.objects.select_for_update()
        .order_by("customer_id")
        .filter(customer_id__in=ids)
    )
)


def lock_accounts(customer_ids: list[int]) -> dict[int, CreditAccount]:
    """The serialization point: the accounts' rows FOR UPDATE, in id order. One statement
    when the rows exist (always, after a customer's first check); a missing row is created
    (INSERT ... ON CONFLICT DO NOTHING) and then locked."""
    ids = sorted(set(customer_ids))
    rows = {row.customer_id: row for row in _LOCK_ACCOUNTS.rows(ids)}
    missing = [i for i in ids if i not in rows]
    if missing:
        CreditAccount.objects.bulk_create(
            [CreditAccount(customer_id=i) for i in missing], ignore_conflicts=True
        )
        rows.update({row.customer_id: row for row in _LOCK_ACCOUNTS.rows(missing)})
    return {i: rows[i] for i in ids}


def _account(customer_id: int) -> CreditAccount:
    return lock_accounts([customer_id])[customer_id]


def _add(account: CreditAccount, delta: Decimal) -> None:
    """Move the account's committed amount by `delta`, computed in Python from the row the
    caller locked (`lock_accounts` re-reads it under the lock), never as F() + delta, which
    SQLite would do in floating point."""
    if delta:
        account.committed_amount = account.committed_amount + delta
        account.save(update_fields=["committed_amount"])


def _set(row: Commitment, account: CreditAccount) -> Decimal:
    """Committed = order total − invoiced, never below zero; the account follows the change.
    `account`: the row's account, locked by the caller."""
    if account.pk != row.account_id:  # the commitment is another account's: lock that one
        account = CreditAccount.objects.select_for_update().get(pk=row.account_id)
    before = row.amount
    row.amount = max(row.order_amount - row.invoiced_amount, ZERO)
    row.save()
    delta = row.amount - before
    _add(account, delta)
    return delta


def in_transaction(func):
    """Run in the caller's transaction without a savepoint of its own (no SAVEPOINT/RELEASE
    round trips): an error dooms the caller's whole transaction (`needs_rollback`), so a
    half-written commitment can never be committed. Alone, its own retried transaction.
    For services that raise nothing the caller could catch and carry on from."""
    retried = atomic_with_retry(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            with transaction.atomic(savepoint=False):
                return func(*args, **kwargs)
        return retried(*args, **kwargs)

    return wrapper


@in_transaction
def commit(
    *,
    customer: Customer | int,
    order_id: int,
    order_number: str,
    amount: Decimal,
    cancelled: Decimal = ZERO,
    checked: Assessment | None = None,
) -> Decimal:
    """Set the order's total (confirm: the total; amendment: the new total) less the value of
    its cancelled quantities (`cancelled`, base currency); committed is what of that is not
    invoiced: max(0, amount − cancelled − invoiced so far). What was invoiced before a release
    (a reopened approval, a credit hold) still counts at the next confirmation. Returns the
    change of the committed amount.

    `checked`: the locked check of this order just made in this transaction
    (`check(lock=True)`). Its account rows are still locked and its commitment row is what
    the table holds (every writer of a commitment holds its account's lock), so the commit
    writes without reading again; if anything credit depends on was written since, or the
    transaction rolled back to before it, it is not used. The figures after the commit are
    kept for the release gate in this transaction (`memo`)."""
    customer_id = getattr(customer, "pk", customer)
    facts = checked.facts if checked is not None else None
    if facts is not None and not facts.usable_for(customer_id, order_id):
        facts = None
    if facts is not None:
        account, row = facts.accounts[customer_id], facts.own
    else:
        account = _account(customer_id)
        row = Commitment.objects.select_for_update().filter(order_id=order_id).first()
    if row is None:
        row = Commitment(account=account, order_id=order_id, order_number=order_number, amount=ZERO)
    row.order_number = order_number
    row.order_amount = quantize(Decimal(amount) - Decimal(cancelled or 0), base())
    delta = _set(row, account)
    if facts is not None:
        facts.own = row
        facts.token = memo.token()
        memo.keep(facts.key, facts, facts.token)
    return delta


@atomic_with_retry
def commitment_release(*, order_id: int) -> Decimal:
    """The order is cancelled, closed or back before confirmation: nothing of it is committed
    any more. An order with invoices keeps its row at zero (its total cleared), so that a
    later confirmation still knows what is invoiced; the others' rows go."""
    row = Commitment.objects.filter(order_id=order_id).select_related("account").first()
    if row is None:
        return ZERO
    account = _account(row.account.customer_id)
    row = Commitment.objects.select_for_update().get(pk=row.pk)
    released = row.amount
    _add(account, -released)
    if row.invoiced_amount:
        row.order_amount = row.amount = ZERO
        row.save(update_fields=["order_amount", "amount", "updated_at"])
    else:
        row.delete()
    return released


@atomic_with_retry
def invoiced(
    *, order_id: int, amount: Decimal, customer: Customer | int | None = None, order_number=""
) -> Decimal:
    """An invoice of the order was posted: `amount` (base) moves from committed into
    receivables; a reversed invoice passes a negative amount and the order's commitment
    comes back. Returns the change of the committed amount.

    An order with nothing committed now (held, or back before confirmation) gets a row at
    zero that remembers the invoiced amount when the caller names the `customer`, so that
    the next confirmation commits only what is not invoiced yet."""
    row = Commitment.objects.filter(order_id=order_id).select_related("account").first()
    if row is None:
        if customer is None or Decimal(amount) <= 0:
            return ZERO  # a reversal with nothing committed moves nothing
        account = _account(getattr(customer, "pk", customer))
        row = Commitment.objects.select_for_update().filter(order_id=order_id).first()
        if row is None:
            row = Commitment(
                account=account,
                order_id=order_id,
                order_number=order_number,
                order_amount=ZERO,
                amount=ZERO,
            )
        row.invoiced_amount = row.invoiced_amount + quantize(Decimal(amount), base())
        return _set(row, account)
    account = _account(row.account.customer_id)
    row = Commitment.objects.select_for_update().get(pk=row.pk)
    row.invoiced_amount = row.invoiced_amount + quantize(Decimal(amount), base())
    return _set(row, account)


# --- exposure and the check ---------------------------------------------------------------------


def receivables_of(customer_ids: list[int]) -> Decimal:
    """Open debit items minus unallocated credit, base currency (each item's open amount at
    its posting rate): the customers' stored ledger balances — one row per customer, however
    many items are open. A customer with no row has nothing on the ledger."""
    rows = CustomerBalance.objects.filter(customer_id__in=customer_ids).values_list(
        "open_debit", "open_credit"
    )
    return quantize(sum((debit - credit for debit, credit in rows), ZERO), base())


def overdue_of(customer_ids: list[int], on: dt.date) -> tuple[int, Decimal]:
    """(days the oldest open debit is past due, the overdue amount in base currency).

    Reads the overdue items only — a range of the partial index over open debits by
    (customer, due_date) — so a ledger that grows with current items costs nothing here.
    Summed in Python, per item as the stored balance is (exact on SQLite too)."""
    rows = (
        OpenItem.objects.filter(
            customer_id__in=customer_ids, side="debit", open_amount__gt=0, due_date__lt=on
        )
        .values_list("due_date", "open_amount", "rate")
        .order_by()
    )
    oldest, total = None, ZERO
    for due_date, open_amount, rate in rows:
        oldest = due_date if oldest is None else min(oldest, due_date)
        total += open_base(open_amount, rate, base())
    if oldest is None:
        return 0, ZERO
    return (on - oldest).days, quantize(total, base())


@dataclass(eq=False)
class Facts:
    """What a check reads, before any judgement: limits, the accounts, the order's commitment
    and override, the ledger. `judge` turns them into an `Assessment` for an amount and a
    stage without reading anything."""

    customer_id: int
    contract_id: int | None
    order_id: int | None
    on: dt.date
    limits: Limits
    ids: list[int]  # the customers whose exposure counts (the group's under a group limit)
    accounts: dict[int, CreditAccount]
    receivables: Decimal
    own: Commitment | None = None  # the order's commitment row
    override: Decimal | None = None  # the newest released hold's amount (None: never released)
    overdue: tuple[int, Decimal] | None = None  # read when the limit has credit terms
    locked: bool = False
    token: memo.Token | None = None

    @property
    def key(self) -> tuple:
        return (self.customer_id, self.contract_id, self.order_id, self.on)

    def usable_for(self, customer_id: int, order_id: int) -> bool:
        """Read under this transaction's lock for this order, nothing written since."""
        return (
            self.locked
            and self.token is not None
            and self.token.current()
            and (self.customer_id, self.order_id) == (customer_id, order_id)
            and customer_id in self.accounts
            and (self.own is None or self.own.account_id == self.accounts[customer_id].pk)
            and self.on == timezone.localdate()
        )


# the order's commitment row and newest override, the customer's ledger balance: scalar
# subqueries in one statement (a commitment may sit on another account, so by order id)
_COMMITMENT_FIELDS = [f.attname for f in Commitment._meta.concrete_fields]


def _extras(order_id: int | None, single_customer: int | None) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if order_id is not None:
        own = Commitment.objects.filter(order_id=order_id)
        for name in _COMMITMENT_FIELDS:
            extras[f"own_{name}"] = Subquery(own.values(name)[:1])
        extras["override"] = Subquery(_override(order_id)[:1])
    if single_customer is not None:
        balance = CustomerBalance.objects.filter(customer_id=single_customer)
        extras["open_debit"] = Subquery(balance.values("open_debit")[:1])
        extras["open_credit"] = Subquery(balance.values("open_credit")[:1])
    return extras


def _carrier(pk: int, order_id: int | None, single_customer: int | None):
    """The own account row carrying `_extras` as scalar subqueries, as `first()` reads it."""
    extras = _extras(order_id, single_customer)
    return as_first(CreditAccount.objects.filter(pk=pk).values(**extras))


# compiled once per connection (core.prepared), one for each shape of `_extras`
_CARRIERS = {
    (True, True): Prepared(lambda pk, o, c: _carrier(pk, o, c), arity=3),
    (True, False): Prepared(lambda pk, o: _carrier(pk, o, None), arity=2),
    (False, True): Prepared(lambda pk, c: _carrier(pk, None, c), arity=2),
}


def _carried(pk: int, order_id: int | None, single_customer: int | None) -> dict | None:
    """`_carrier(...).first()`."""
    shape = (order_id is not None, single_customer is not None)
    values = [v for v in (order_id, single_customer) if v is not None]
    rows = _CARRIERS[shape].rows(pk, *values)
    return rows[0] if rows else None


def _override(order_id: int):
    """The newest released hold's amount (0 when it has none); no row: never released."""
    return (
        CreditHold.objects.filter(order_id=order_id, status=HoldStatus.RELEASED)
        .order_by("-released_at")
        .values(covered=Coalesce("override_amount", Value(ZERO, output_field=AMOUNT_FIELD)))
    )


def _gather(
    customer: Customer,
    *,
    order_id: int | None,
    contract_id: int | None,
    on: dt.date,
    lock: bool,
    accounts: dict[int, CreditAccount] | None = None,
) -> Facts:
    """Read what the check needs. Locked: the account rows first (`lock_set`), then — each
    in a statement of its own, so that it sees what committed while this one waited — the
    limits, and the order's commitment, its override and the ledger balance in one statement
    (a second read of the own account row, carrying them as scalar subqueries); the overdue
    items when the limit has credit terms. The ledger balance of a group is read apart (its
    members' rows summed in Python: exact on SQLite too)."""
    if lock:
        accounts = lock_accounts(lock_set(customer))
    limits = limits_for(customer, contract_id=contract_id, on=on)
    # under a group limit, locked: the group's members are the accounts just locked
    ids = list(accounts) if lock and limits.group is not None else members(customer, limits)
    single = customer.pk if ids == [customer.pk] else None
    row: dict[str, Any] | None = None
    if accounts is None:
        extras = _extras(order_id, single)
        found = list(
            CreditAccount.objects.filter(customer_id__in=ids).annotate(**extras).order_by("customer_id")
        )  # fmt: skip
        accounts = {a.customer_id: a for a in found}
        if found and extras:
            row = {name: getattr(found[0], name) for name in extras}
    elif (order_id is not None or single is not None) and accounts:  # `_extras` not empty
        carrier = accounts.get(customer.pk) or next(iter(accounts.values()))
        row = _carried(carrier.pk, order_id, single)
    facts = Facts(
        customer_id=customer.pk,
        contract_id=contract_id,
        order_id=order_id,
        on=on,
        limits=limits,
        ids=ids,
        accounts=accounts,
        receivables=ZERO,
        locked=lock,
    )
    if row is None:  # no account row to carry the subqueries: read them one by one
        if order_id is not None:
            facts.own = Commitment.objects.filter(order_id=order_id).first()
            facts.override = _override(order_id).values_list("covered", flat=True).first()
        facts.receivables = receivables_of(ids)
    else:
        if order_id is not None:
            if row["own_id"] is not None:
                values = [row[f"own_{name}"] for name in _COMMITMENT_FIELDS]
                facts.own = Commitment.from_db(None, _COMMITMENT_FIELDS, values)
            facts.override = row["override"]
        if single is not None:
            debit, credit = row["open_debit"] or ZERO, row["open_credit"] or ZERO
            facts.receivables = quantize(debit - credit, base())
        else:
            facts.receivables = receivables_of(ids)
    if limits.terms is not None:
        facts.overdue = overdue_of(ids, on)
    return facts


@dataclass
class Assessment:
    customer_id: int
    mode: str
    stage: str
    limit: Decimal | None
    receivables: Decimal
    orders: Decimal
    this_order: Decimal
    overdue_days: int = 0
    overdue_amount: Decimal = ZERO
    tolerance_days: int = 0
    tolerance_amount: Decimal = ZERO
    group_limit: Decimal | None = None
    breaches: list[dict[str, Any]] = field(default_factory=list)
    overridden: bool = False
    # what it was judged from (for `commit(checked=...)`), not part of the answer
    facts: Facts | None = field(default=None, repr=False, compare=False)

    @property
    def exposure(self) -> Decimal:
        return self.receivables + self.orders + self.this_order

    @property
    def holds(self) -> bool:
        """The check stops the order: a breach, a mode that blocks at this stage, no override."""
        return bool(self.breaches) and self.stage in BLOCKS_AT[self.mode] and not self.overridden

    @property
    def reasons(self) -> list[str]:
        return [b["text"] for b in self.breaches]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "limit": self.limit,
            "group_limit": self.group_limit,
            "receivables": self.receivables,
            "orders": self.orders,
            "this_order": self.this_order,
            "exposure": self.exposure,
            "currency": base(),
            "overdue_days": self.overdue_days,
            "overdue_amount": self.overdue_amount,
            "tolerance_days": self.tolerance_days,
            "tolerance_amount": self.tolerance_amount,
            "breaches": self.breaches,
            "holds": self.holds,
            "overridden": self.overridden,
        }


def _exposure_text(a: Assessment, limit: Decimal, what: str) -> str:
    return _(
        "%(what)sexposure %(e)s %(c)s = open receivables %(r)s + orders %(o)s + this order %(t)s "
        "> limit %(l)s"
    ) % {
        "what": what,
        "e": money(a.exposure),
        "c": base(),
        "r": money(a.receivables),
        "o": money(a.orders),
        "t": money(a.this_order),
        "l": money(limit),
    }


def judge(facts: Facts, *, amount: Decimal | None, stage: str) -> Assessment:
    """The numbers and breaches if this order (`amount`, base) is added, from `facts` (no
    query). The order's own commitment (if any) is not counted twice; `amount` None: the
    order as committed (the check at release to the warehouse)."""
    limits, accounts = facts.limits, facts.accounts
    own = facts.own.amount if facts.own is not None else ZERO
    committed = sum((accounts[i].committed_amount for i in facts.ids if i in accounts), ZERO) - own
    terms = limits.terms
    slot = limits.contract or limits.customer
    a = Assessment(
        customer_id=facts.customer_id,
        mode=limits.mode,
        stage=stage,
        limit=slot.amount if slot else None,
        group_limit=limits.group.amount if limits.group else None,
        receivables=facts.receivables,
        orders=quantize(committed, base()),
        this_order=quantize(Decimal(own if amount is None else amount), base()),
        tolerance_days=terms.overdue_days if terms else 0,
        tolerance_amount=terms.overdue_amount if terms else ZERO,
    )
    if a.limit is not None and a.exposure > a.limit:
        a.breaches.append(
            {"code": "credit_limit_exceeded", "text": _exposure_text(a, a.limit, ""), "limit": a.limit,
             "exposure": a.exposure}
        )  # fmt: skip
    if a.group_limit is not None and a.exposure > a.group_limit:
        a.breaches.append(
            {"code": "credit_group_limit_exceeded", "text": _exposure_text(a, a.group_limit, _("group ")),
             "limit": a.group_limit, "exposure": a.exposure}
        )  # fmt: skip
    if terms is not None and facts.overdue is not None:
        a.overdue_days, a.overdue_amount = facts.overdue
        if a.overdue_days > a.tolerance_days and a.overdue_amount > a.tolerance_amount:
            a.breaches.append({"code": "credit_overdue", "text": overdue_text(a)})
    own_account = accounts.get(facts.customer_id)
    if own_account is not None and own_account.blocked and own_account.block_kind == "manual":
        a.breaches.append(
            {
                "code": "credit_blocked",
                "text": _("customer blocked: %(r)s") % {"r": own_account.block_reason},
            }
        )
    if facts.order_id is not None and facts.override is not None:
        a.overridden = facts.override >= a.this_order
    return a


def assess(
    customer: Customer,
    *,
    amount: Decimal | None,
    stage: str,
    order_id: int | None = None,
    contract_id: int | None = None,
    on: dt.date | None = None,
    accounts: dict[int, CreditAccount] | None = None,
) -> Assessment:
    """The numbers and breaches for `customer` if this order (`amount`, base) is added,
    read without the lock (`accounts`: rows the caller locked)."""
    facts = _gather(
        customer,
        order_id=order_id,
        contract_id=contract_id,
        on=on or timezone.localdate(),
        lock=False,
        accounts=accounts,
    )
    return judge(facts, amount=amount, stage=stage)


def overdue_text(a: Assessment) -> str:
    return _("overdue %(d)s days, %(a)s %(c)s > tolerance %(td)s days, %(ta)s %(c)s") % {
        "d": a.overdue_days,
        "a": money(a.overdue_amount),
        "c": base(),
        "td": a.tolerance_days,
        "ta": money(a.tolerance_amount),
    }


def check(
    *,
    customer: Customer,
    amount: Decimal | None,
    stage: str,
    order_id: int | None = None,
    contract_id: int | None = None,
    lock: bool = True,
) -> Assessment:
    """The credit check at `stage` (entry, submit, confirm, amend, release). With `lock` (the
    default inside a transaction that may let exposure grow) the customer's account rows are
    locked first, so a concurrent check waits for this one to commit its commitment; pass
    the answer to `commit(checked=...)`.

    Without the lock, an order whose figures this transaction read under the lock and
    committed (`commit(checked=...)`) is judged from them while nothing they depend on was
    written since (`memo`): the release gate after a confirmation reads nothing."""
    on = timezone.localdate()
    if not lock and order_id is not None:
        kept = memo.get((customer.pk, contract_id, order_id, on))
        if kept is not None:
            return judge(kept, amount=amount, stage=stage)
    facts = _gather(customer, order_id=order_id, contract_id=contract_id, on=on, lock=lock)
    if lock:
        _refresh_overdue_block(facts)
        facts.token = memo.token()
    a = judge(facts, amount=amount, stage=stage)
    a.facts = facts
    return a


def _refresh_overdue_block(facts: Facts) -> None:
    """Lazy lift: a stored overdue block whose debt is paid goes at the next check."""
    account = facts.accounts.get(facts.customer_id)
    if account is None or not account.blocked or account.block_kind != "overdue":
        return
    a = judge(facts, amount=ZERO, stage="entry")
    if not any(b["code"] == "credit_overdue" for b in a.breaches):
        _unblock(account, None, _("overdue debt paid"))


# --- holds and release --------------------------------------------------------------------------


def hold_create(*, order_id: int, order_number: str, customer: Customer, amount: Decimal,
                assessment: Assessment) -> CreditHold:  # fmt: skip
    """Put an order in the release queue with its reasons (the caller moved it to credit_hold)."""
    CreditHold.objects.filter(order_id=order_id, status=HoldStatus.HELD).update(
        status=HoldStatus.CLOSED
    )
    return CreditHold.objects.create(
        order_id=order_id,
        order_number=order_number,
        customer=customer,
        amount=quantize(Decimal(amount), base()),
        reasons=[{"code": b["code"], "text": b["text"]} for b in assessment.breaches],
        stage=assessment.stage,
    )


def hold_close(*, order_id: int) -> None:
    CreditHold.objects.filter(order_id=order_id, status=HoldStatus.HELD).update(
        status=HoldStatus.CLOSED
    )
    memo.forget()  # an update sends no post_save


@atomic_with_retry
def hold_release(*, by, order_id: int, comment: str, approved: bool = False) -> CreditHold:
    """Release a held order once, with a comment: only credit controllers and administrators
    (`credit_override_forbidden`), a comment (`credit_override_reason_required`), an order in
    the queue (`order_not_held`). The order moves on (orders' handler) and the override is in
    the order's history and the customer's credit history. `approved`: a limit change
    approved through the approval workflow releases it (the approvers' roles decided)."""
    if not approved and not has_role(by, *CONTROLLERS):
        raise PermissionRefused(
            _("Only a credit controller or an administrator may release a credit hold."),
            code="credit_override_forbidden",
        )
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            _("Say why the order is released."),
            code="credit_override_reason_required",
            fields={"comment": None},
        )
    hooks.call("lock", order_id)  # the order row first
    hold = (
        CreditHold.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(order_id=order_id, status=HoldStatus.HELD)
        .first()
    )
    if hold is None:
        raise Conflict(_("This order is not in credit hold."), code="order_not_held")
    # the accounts the confirmation's check locks next, in the same (id) order
    account = lock_accounts(lock_set(hold.customer))[hold.customer_id]
    hold.status = HoldStatus.RELEASED
    hold.released_by, hold.released_at, hold.comment = by, timezone.now(), comment
    hold.override_amount = hold.amount
    hold.save()
    record(
        action="credit.override.granted",
        obj=account,
        by=by,
        data={"order": hold.order_number, "amount": hold.amount, "comment": comment,
              "reasons": [r["text"] for r in hold.reasons], "by_approval": approved},
    )  # fmt: skip
    hooks.call("released", by=by, order_id=order_id, hold=hold)
    memo.forget()  # the handler may widen the override with an update
    return hold


# --- blocks -----------------------------------------------------------------------------------

# a block writes only these: the committed amount is moved by `_add` alone
BLOCK_FIELDS = ["blocked", "block_kind", "block_reason", "blocked_at", "blocked_by"]


@atomic_with_retry
def block_set(*, by, customer: Customer | int, reason: str) -> CreditAccount:
    """Block a customer by hand, with a reason (`credit_block_reason_required`)."""
    _require(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why."), code="credit_block_reason_required", fields={"reason": None}
        )
    account = _account(getattr(customer, "pk", customer))
    account.blocked, account.block_kind, account.block_reason = True, "manual", reason
    account.blocked_at, account.blocked_by = timezone.now(), by
    account.save(update_fields=BLOCK_FIELDS)
    record(
        action="credit.customer.blocked",
        obj=account,
        by=by,
        data={"reason": reason, "kind": "manual"},
    )
    return account


@atomic_with_retry
def block_lift(*, by, customer: Customer | int, reason: str = "") -> CreditAccount:
    _require(by)
    account = _account(getattr(customer, "pk", customer))
    if account.blocked:
        _unblock(account, by, (reason or "").strip())
    return account


def _unblock(account: CreditAccount, by, reason: str) -> None:
    kind = account.block_kind
    account.blocked, account.block_kind, account.block_reason = False, "", ""
    account.blocked_at = account.blocked_by = None
    account.save(update_fields=BLOCK_FIELDS)
    record(
        action="credit.customer.unblocked",
        obj=account,
        by=by,
        data={"reason": reason, "kind": kind},
    )


def check_overdue(*, on: dt.date | None = None) -> tuple[int, int]:
    """The daily job: block customers whose overdue debt passes their tolerance; lift the
    overdue blocks of those who paid. Returns (blocked, unblocked)."""
    on = on or timezone.localdate()
    candidates = set(
        OpenItem.objects.filter(side="debit", open_amount__gt=0, due_date__lt=on)
        .values_list("customer_id", flat=True)
        .distinct()
    ) | set(
        CreditAccount.objects.filter(blocked=True, block_kind="overdue").values_list(
            "customer_id", flat=True
        )
    )
    blocked = unblocked = 0
    for customer in Customer.objects.filter(pk__in=candidates).order_by("pk"):
        b, u = _overdue_one(customer, on)
        blocked += b
        unblocked += u
    return blocked, unblocked


@atomic_with_retry
def _overdue_one(customer: Customer, on: dt.date) -> tuple[int, int]:
    account = _account(customer.pk)
    a = assess(customer, amount=ZERO, stage="entry", on=on, accounts={customer.pk: account})
    breach = next((b for b in a.breaches if b["code"] == "credit_overdue"), None)
    if breach and not account.blocked:
        account.blocked, account.block_kind, account.block_reason = True, "overdue", breach["text"]
        account.blocked_at = timezone.now()
        account.save(update_fields=BLOCK_FIELDS)
        record(action="credit.customer.blocked", obj=account, by=None,
               data={"reason": breach["text"], "kind": "overdue"})  # fmt: skip
        return 1, 0
    if not breach and account.blocked and account.block_kind == "overdue":
        _unblock(account, None, _("overdue debt paid"))
        return 0, 1
    return 0, 0
